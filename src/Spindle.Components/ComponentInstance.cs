using Spindle.Components.Binary;
using Spindle.Components.Linking;
using Spindle.Components.Runtime;
using Wasmtime;

namespace Spindle.Components;

/// <summary>
/// One instance of a <see cref="Component"/> in a Wasmtime <see cref="Wasmtime.Store"/>: its core instances, its
/// resource handle table and the host's per-instance state. Not thread-safe: use it from one thread at a time.
/// Disposing it drops the host resources the guest still holds.
/// </summary>
public sealed class ComponentInstance : IDisposable
{
    private readonly ComponentPlan _plan;
    private readonly object?[] _slots;
    private readonly Dictionary<(int Memory, int Realloc), GuestMemory> _memories = [];
    private readonly HostLinker? _hostLinker;
    private readonly Memory[] _linearMemories;
    private readonly bool _observed;
    private bool _inCall;
    private bool _disposed;

    internal ComponentInstance(ComponentPlan plan, Store store, object? state)
    {
        _plan = plan;
        Store = store;
        State = state;
        _slots = new object?[plan.Slots];

        // Host functions come from the component's shared linker when this instance can be its store's data (the
        // linker's callbacks find the instance there); a store that already carries data gets its own functions.
        if (plan.HostLinker is not null && store.GetData() is null)
        {
            store.SetData(this);
            _hostLinker = plan.HostLinker;
        }

        foreach (var step in plan.Steps)
        {
            _slots[step.Slot] = Build(step);
        }

        _linearMemories = DistinctMemories();
        _observed = plan.WorkingSet.Prefault(_linearMemories);
    }

    /// <summary>The store the instance lives in.</summary>
    public Store Store { get; }

    /// <summary>What the host passed to <see cref="Component.Instantiate"/>, for its host functions.</summary>
    public object? State { get; }

    /// <summary>Whether the instance trapped; a trapped instance refuses every later call.</summary>
    public bool Trapped { get; private set; }

    internal HandleTable Handles { get; } = new();

    /// <summary>The number of live resource handles (owned and borrowed) in the instance's table.</summary>
    public int HandleCount => Handles.Count;

    /// <summary>
    /// Finds an exported function: <paramref name="name"/> alone for a function the component exports directly, or
    /// an exported instance's name and <paramref name="function"/> (for example <c>fermyon:spin/inbound-http</c>,
    /// <c>handle-request</c>).
    /// </summary>
    public ComponentFunction? GetFunction(string name, string? function = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Component.FindExport(_plan, name, function) is { } lifted ? new ComponentFunction(this, lifted) : null;
    }

    /// <summary>Drops every host resource the guest still owns.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_observed)
        {
            _plan.WorkingSet.Observe(_linearMemories);
        }

        foreach (var entry in Handles.Drain())
        {
            if (entry.Own && !entry.Type.IsGuest)
            {
                entry.Type.HostDrop?.Invoke(entry.Representation);
            }
        }
    }

    internal object? Invoke(LiftedFunction function, object?[] arguments)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Trapped)
        {
            throw new InvalidOperationException("the instance trapped earlier and cannot be called again");
        }

        if (_inCall)
        {
            throw new InvalidOperationException("the instance is already running a call (component instances are not reentrant)");
        }

        if (arguments.Length != function.ParameterTypes.Length)
        {
            throw new ArgumentException($"{function.Type} takes {function.ParameterTypes.Length} arguments, got {arguments.Length}", nameof(arguments));
        }

        _inCall = true;
        try
        {
            var memory = Memory(function.Options);
            var cx = new AbiContext(memory, function.Options.Encoding, Handles) { Scope = new CallScope() };
            var boxes = new ValueBox[function.CoreParameters.Length];
            if (function.SpilledParameters)
            {
                var tuple = function.ParameterTuple!;
                var pointer = cx.Memory.Allocate(tuple.Abi.Alignment, tuple.Abi.Size);
                CanonicalAbi.Store(cx, tuple, arguments, pointer);
                boxes[0] = pointer;
            }
            else
            {
                Span<ulong> flat = stackalloc ulong[boxes.Length];
                var i = 0;
                for (var p = 0; p < arguments.Length; p++)
                {
                    CanonicalAbi.LowerFlat(cx, function.ParameterTypes[p], arguments[p], flat, ref i);
                }

                for (var k = 0; k < boxes.Length; k++)
                {
                    boxes[k] = FunctionFlattening.ToBox(function.CoreParameters[k], flat[k]);
                }
            }

            var core = (Function)_slots[function.CoreFunction]!;
            object? raw;
            try
            {
                raw = core.Invoke(boxes);
            }
            catch (WasmtimeException)
            {
                Trapped = true;
                throw;
            }

            object? result = null;
            try
            {
                if (function.Type.Result is { } resultType)
                {
                    memory?.Refresh();
                    var bits = FunctionFlattening.ToBits(function.CoreResults[0], raw);
                    if (function.SpilledResult)
                    {
                        var pointer = (int)(uint)bits;
                        CanonicalAbi.CheckPointer(cx, resultType, pointer);
                        result = CanonicalAbi.Load(cx, resultType, pointer);
                    }
                    else
                    {
                        var i = 0;
                        result = CanonicalAbi.LiftFlat(cx, resultType, [bits], ref i);
                    }
                }

                if (cx.Scope.Borrows != 0)
                {
                    throw new ComponentTrapException($"the guest returned from {function.Type} without dropping {cx.Scope.Borrows} borrowed handle(s)");
                }
            }
            catch (ComponentTrapException)
            {
                Trapped = true;
                throw;
            }

            if (function.PostReturn >= 0)
            {
                try
                {
                    ((Function)_slots[function.PostReturn]!).Invoke(raw is null ? [] : [FunctionFlattening.ToBox(function.CoreResults[0], FunctionFlattening.ToBits(function.CoreResults[0], raw))]);
                }
                catch (WasmtimeException)
                {
                    Trapped = true;
                    throw;
                }
            }

            return result;
        }
        finally
        {
            _inCall = false;
        }
    }

    private object Build(PlanStep step) => step switch
    {
        CoreInstantiateStep instantiate => Instantiate(instantiate),
        CoreExportStep export => Export(export),
        LowerHostStep or ResourceStep when _hostLinker is not null => _hostLinker.Get(Store, step.Slot),
        LowerHostStep lower => Lowered(lower.Function),
        ResourceStep resource => ResourceBuiltin(resource),
        _ => throw new InvalidOperationException($"unknown plan step {step}"),
    };

    private Instance Instantiate(CoreInstantiateStep step)
    {
        var imports = new object[step.Imports.Length];
        for (var i = 0; i < imports.Length; i++)
        {
            imports[i] = _slots[step.Imports[i]]!;
        }

        return new Instance(Store, step.Module, imports);
    }

    private object Export(CoreExportStep step)
    {
        var instance = (Instance)_slots[step.Instance]!;
        object? export = step.Sort switch
        {
            Sort.CoreFunc => instance.GetFunction(step.Name),
            Sort.CoreMemory => instance.GetMemory(step.Name),
            Sort.CoreTable => instance.GetTable(step.Name),
            _ => instance.GetGlobal(step.Name),
        };
        return export ?? throw new InvalidOperationException($"core instance lost its export {step.Name}");
    }

    /// <summary>The instance's core memories, each once, in plan order (the same order in every instance).</summary>
    internal ReadOnlySpan<Memory> LinearMemories => _linearMemories;

    private Memory[] DistinctMemories()
    {
        var memories = new List<Memory>();
        foreach (var slot in _plan.MemorySlots)
        {
            var memory = (Memory)_slots[slot]!;
            if (!memories.Exists(m => m.GetPointer() == memory.GetPointer()))
            {
                memories.Add(memory);
            }
        }

        return [.. memories];
    }

    private GuestMemory? Memory(MemoryOptions options)
    {
        if (options.Memory < 0)
        {
            return null;
        }

        var key = (options.Memory, options.Realloc);
        if (!_memories.TryGetValue(key, out var memory))
        {
            memory = new GuestMemory((Memory)_slots[options.Memory]!, options.Realloc >= 0 ? (Function)_slots[options.Realloc]! : null);
            _memories[key] = memory;
        }
        else
        {
            memory.Refresh();
        }

        return memory;
    }

    private Function Lowered(LoweredFunction function)
    {
        return Function.FromCallback(Store, (Caller caller, ReadOnlySpan<ValueBox> arguments, Span<ValueBox> output) => CallHost(function, arguments, output), function.CoreParameterKinds, function.CoreResultKinds);
    }

    internal void CallHost(LoweredFunction function, ReadOnlySpan<ValueBox> arguments, Span<ValueBox> output)
    {
        var host = function.Host;
        if (host.Body is null)
        {
            throw new ComponentTrapException($"the guest called {host.QualifiedName}, which this host does not provide");
        }

        var memory = Memory(function.Options);
        var cx = new AbiContext(memory, function.Options.Encoding, Handles);
        Span<ulong> flat = stackalloc ulong[arguments.Length];
        for (var k = 0; k < flat.Length; k++)
        {
            flat[k] = FunctionFlattening.ToBits(function.CoreParameters[k], arguments[k]);
        }

        object?[] values;
        if (function.SpilledParameters)
        {
            var tuple = function.ParameterTuple!;
            var pointer = (int)(uint)flat[0];
            CanonicalAbi.CheckPointer(cx, tuple, pointer);
            values = (object?[])CanonicalAbi.Load(cx, tuple, pointer)!;
        }
        else
        {
            values = new object?[function.ParameterTypes.Length];
            var i = 0;
            for (var p = 0; p < values.Length; p++)
            {
                values[p] = CanonicalAbi.LiftFlat(cx, function.ParameterTypes[p], flat, ref i);
            }
        }

        object? result;
        try
        {
            result = host.Body(this, values);
        }
        finally
        {
            cx.ReleaseLends();
        }

        if (host.Type.Result is not { } resultType)
        {
            return;
        }

        if (function.SpilledResult)
        {
            var pointer = (int)(uint)flat[^1];
            CanonicalAbi.CheckPointer(cx, resultType, pointer);
            CanonicalAbi.Store(cx, resultType, result, pointer);
        }
        else
        {
            Span<ulong> lowered = stackalloc ulong[1];
            var i = 0;
            CanonicalAbi.LowerFlat(cx, resultType, result, lowered, ref i);
            output[0] = FunctionFlattening.ToBox(function.CoreResults[0], lowered[0]);
        }
    }

    private Function ResourceBuiltin(ResourceStep step)
    {
        var type = step.Type;
        switch (step.Builtin)
        {
            case Binary.ResourceBuiltin.New:
                return Function.FromCallback(Store, (int representation) => NewHandle(type, representation));
            case Binary.ResourceBuiltin.Rep:
                return Function.FromCallback(Store, (int handle) => Representation(type, handle));
            default:
                return Function.FromCallback(Store, (int handle) => Drop(type, handle));
        }
    }

    internal int NewHandle(ResourceType type, int representation) => Handles.Add(new HandleEntry(type, representation, own: true, scope: null));

    internal int Representation(ResourceType type, int handle) => (int)Handles.Get(handle, type).Representation;

    internal void Drop(ResourceType type, int handle)
    {
        var entry = Handles.Remove(handle, type);
        if (!entry.Own)
        {
            entry.Scope!.Borrows--;
            return;
        }

        if (type.IsGuest)
        {
            if (type.GuestDestructor >= 0)
            {
                ((Function)_slots[type.GuestDestructor]!).Invoke([(int)entry.Representation]);
            }
        }
        else
        {
            type.HostDrop?.Invoke(entry.Representation);
        }
    }
}

/// <summary>An exported function of one <see cref="ComponentInstance"/>.</summary>
public sealed class ComponentFunction
{
    private readonly ComponentInstance _instance;
    private readonly LiftedFunction _function;

    internal ComponentFunction(ComponentInstance instance, LiftedFunction function)
    {
        _instance = instance;
        _function = function;
    }

    /// <summary>The function's component type.</summary>
    public FunctionType Type => _function.Type;

    /// <summary>
    /// Calls the function with arguments in the .NET representation (see <see cref="ValType"/>) and returns its
    /// result (<see langword="null"/> when it has none).
    /// </summary>
    /// <exception cref="WasmtimeException">The guest trapped (a <see cref="ComponentTrapException"/> inside means it broke the ABI).</exception>
    /// <exception cref="ComponentTrapException">The guest returned a value that breaks the ABI.</exception>
    public object? Invoke(params object?[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return _instance.Invoke(_function, arguments);
    }
}
