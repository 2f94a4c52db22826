using Spindle.Components.Binary;
using Wasmtime;

namespace Spindle.Components.Runtime;

/// <summary>
/// What linking a component produced: a flat list of steps over numbered slots (core instances, core functions,
/// memories, tables, globals) that builds one instance, and the exports. Everything that depends only on the
/// component and the host (types, name resolution, type checks) was done once, when it was linked.
/// </summary>
internal sealed class ComponentPlan(IReadOnlyList<Module> modules)
{
    public IReadOnlyList<Module> Modules { get; } = modules;

    public List<PlanStep> Steps { get; } = [];

    public int Slots { get; set; }

    public Dictionary<string, object> Exports { get; } = new(StringComparer.Ordinal);

    public List<string> StubbedImports { get; } = [];

    /// <summary>The host functions defined once for every instance (set by <see cref="Component.Load"/>).</summary>
    public HostLinker? HostLinker { get; set; }

    /// <summary>The slots that hold core memories (exports of core instances), in plan order; read once linking is done.</summary>
    public int[] MemorySlots => field ??= [.. Steps.OfType<CoreExportStep>().Where(step => step.Sort == Sort.CoreMemory).Select(step => step.Slot)];

    /// <summary>The memory pages instances of this component write, learned as they run.</summary>
    public MemoryWorkingSet WorkingSet { get; } = new();

    public int NewSlot() => Slots++;
}

internal abstract record PlanStep(int Slot);

/// <summary>Instantiates a core module with the objects in <paramref name="Imports"/> (slots, in the module's import order).</summary>
internal sealed record CoreInstantiateStep(int Slot, Module Module, int[] Imports) : PlanStep(Slot);

/// <summary>Takes one export of a core instance.</summary>
internal sealed record CoreExportStep(int Slot, int Instance, string Name, Sort Sort) : PlanStep(Slot);

/// <summary>Creates the core function a guest calls for a host function (<c>canon lower</c>).</summary>
internal sealed record LowerHostStep(int Slot, LoweredFunction Function) : PlanStep(Slot);

/// <summary>Creates <c>resource.new</c>, <c>resource.drop</c> or <c>resource.rep</c> for one resource type.</summary>
internal sealed record ResourceStep(int Slot, ResourceBuiltin Builtin, ResourceType Type) : PlanStep(Slot);

/// <summary>The canon options that decide where values live: memory and realloc slots (-1 when absent).</summary>
internal readonly record struct MemoryOptions(int Memory, int Realloc, StringEncoding Encoding);

/// <summary>A host function as one core function: its component type, flattening and options.</summary>
internal sealed class LoweredFunction
{
    public LoweredFunction(HostFunction host, MemoryOptions options)
    {
        Host = host;
        Options = options;
        var parameters = host.Type.Parameters;
        ParameterTypes = [.. parameters.Select(p => p.Type)];
        var flatParameters = parameters.SelectMany(p => p.Type.Abi.Flat).ToArray();
        SpilledParameters = flatParameters.Length > FunctionFlattening.MaxFlatParameters;
        var flatResults = host.Type.Result?.Abi.Flat ?? [];
        SpilledResult = flatResults.Length > FunctionFlattening.MaxFlatResults;
        CoreParameters = [.. (SpilledParameters ? [CoreKind.I32] : flatParameters), .. (SpilledResult ? [CoreKind.I32] : Array.Empty<CoreKind>())];
        CoreResults = SpilledResult ? [] : flatResults;
        ParameterTuple = parameters.Count > 0 ? new TupleType(ParameterTypes) : null;
        CoreParameterKinds = [.. CoreParameters.Select(FunctionFlattening.ToValueKind)];
        CoreResultKinds = [.. CoreResults.Select(FunctionFlattening.ToValueKind)];
    }

    public HostFunction Host { get; }

    /// <summary>The core signature as Wasmtime kinds, computed once: every instance creates the function anew.</summary>
    public Wasmtime.ValueKind[] CoreParameterKinds { get; }

    public Wasmtime.ValueKind[] CoreResultKinds { get; }

    public MemoryOptions Options { get; }

    public ValType[] ParameterTypes { get; }

    public TupleType? ParameterTuple { get; }

    public bool SpilledParameters { get; }

    public bool SpilledResult { get; }

    public CoreKind[] CoreParameters { get; }

    public CoreKind[] CoreResults { get; }
}

/// <summary>A guest core function lifted to a component function (<c>canon lift</c>).</summary>
internal sealed class LiftedFunction
{
    public LiftedFunction(int coreFunction, MemoryOptions options, int postReturn, FunctionType type)
    {
        CoreFunction = coreFunction;
        Options = options;
        PostReturn = postReturn;
        Type = type;
        ParameterTypes = [.. type.Parameters.Select(p => p.Type)];
        var flatParameters = ParameterTypes.SelectMany(t => t.Abi.Flat).ToArray();
        SpilledParameters = flatParameters.Length > FunctionFlattening.MaxFlatParameters;
        FlatParameterCount = SpilledParameters ? 1 : flatParameters.Length;
        CoreParameters = SpilledParameters ? [CoreKind.I32] : flatParameters;
        var flatResults = type.Result?.Abi.Flat ?? [];
        SpilledResult = flatResults.Length > FunctionFlattening.MaxFlatResults;
        CoreResults = SpilledResult ? [CoreKind.I32] : flatResults;
        ParameterTuple = ParameterTypes.Length > 0 ? new TupleType(ParameterTypes) : null;
    }

    public int CoreFunction { get; }

    public MemoryOptions Options { get; }

    public int PostReturn { get; }

    public FunctionType Type { get; }

    public ValType[] ParameterTypes { get; }

    public TupleType? ParameterTuple { get; }

    public bool SpilledParameters { get; }

    public int FlatParameterCount { get; }

    public bool SpilledResult { get; }

    public CoreKind[] CoreParameters { get; }

    public CoreKind[] CoreResults { get; }
}

internal static class FunctionFlattening
{
    public const int MaxFlatParameters = 16;
    public const int MaxFlatResults = 1;

    public static ValueKind ToValueKind(CoreKind kind) => kind switch
    {
        CoreKind.I32 => ValueKind.Int32,
        CoreKind.I64 => ValueKind.Int64,
        CoreKind.F32 => ValueKind.Float32,
        _ => ValueKind.Float64,
    };

    public static ulong ToBits(CoreKind kind, in ValueBox value) => kind switch
    {
        CoreKind.I32 => (uint)value.AsInt32(),
        CoreKind.I64 => (ulong)value.AsInt64(),
        CoreKind.F32 => BitConverter.SingleToUInt32Bits(value.AsSingle()),
        _ => BitConverter.DoubleToUInt64Bits(value.AsDouble()),
    };

    public static ulong ToBits(CoreKind kind, object? value) => kind switch
    {
        CoreKind.I32 => (uint)(int)value!,
        CoreKind.I64 => (ulong)(long)value!,
        CoreKind.F32 => BitConverter.SingleToUInt32Bits((float)value!),
        _ => BitConverter.DoubleToUInt64Bits((double)value!),
    };

    // Each arm converts to ValueBox itself: left to the switch, int, long, float and double would meet in their best
    // common type, double, and an i64 above 2^53 would lose its low bits on the way.
    public static ValueBox ToBox(CoreKind kind, ulong bits) => kind switch
    {
        CoreKind.I32 => (ValueBox)(int)(uint)bits,
        CoreKind.I64 => (ValueBox)(long)bits,
        CoreKind.F32 => (ValueBox)BitConverter.UInt32BitsToSingle((uint)bits),
        _ => (ValueBox)BitConverter.UInt64BitsToDouble(bits),
    };

    public static bool NeedsMemory(ValType type) => type switch
    {
        PrimitiveType p => p.Kind == PrimitiveKind.String,
        ListType => true,
        RecordType r => r.Fields.Any(f => NeedsMemory(f.Type)),
        TupleType t => t.Elements.Any(NeedsMemory),
        VariantType v => v.Cases.Any(c => c.Type is { } t && NeedsMemory(t)),
        OptionType o => NeedsMemory(o.Payload),
        ResultType r => (r.Ok is { } ok && NeedsMemory(ok)) || (r.Error is { } error && NeedsMemory(error)),
        _ => false,
    };

    public static string? FindUnsupported(FunctionType type) =>
        type.Parameters.Select(p => FindUnsupported(p.Type)).FirstOrDefault(f => f is not null) ?? (type.Result is { } r ? FindUnsupported(r) : null);

    public static string? FindUnsupported(ValType type) => type switch
    {
        UnsupportedValueType u => u.Feature,
        ListType l => FindUnsupported(l.Element),
        RecordType r => r.Fields.Select(f => FindUnsupported(f.Type)).FirstOrDefault(f => f is not null),
        TupleType t => t.Elements.Select(FindUnsupported).FirstOrDefault(f => f is not null),
        VariantType v => v.Cases.Select(c => c.Type is { } t ? FindUnsupported(t) : null).FirstOrDefault(f => f is not null),
        OptionType o => FindUnsupported(o.Payload),
        ResultType r => (r.Ok is { } ok ? FindUnsupported(ok) : null) ?? (r.Error is { } error ? FindUnsupported(error) : null),
        _ => null,
    };
}
