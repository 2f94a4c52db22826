using Spindle.Components.Binary;
using Spindle.Components.Linking;
using Spindle.Components.Runtime;
using Wasmtime;

namespace Spindle.Components;

/// <summary>Compiles one core module of a component (for example through a cache); <paramref name="ordinal"/> counts modules in binary order.</summary>
public delegate Module CoreModuleCompiler(int ordinal, ReadOnlyMemory<byte> bytes);

/// <summary>
/// A WebAssembly component, parsed, compiled (one Wasmtime module per core module) and linked against a host's
/// interfaces: ready to instantiate any number of times, from any thread. Only the synchronous Component Model is
/// supported: async built-ins, streams, futures and error-context are refused at load, naming what uses them.
/// </summary>
public sealed class Component : IDisposable
{
    private readonly ComponentPlan _plan;
    private readonly bool _ownsModules;

    private Component(ComponentPlan plan, bool ownsModules)
    {
        _plan = plan;
        _ownsModules = ownsModules;
    }

    /// <summary>Imported functions (or whole interfaces) the host does not define: they trap when called.</summary>
    public IReadOnlyList<string> StubbedImports => _plan.StubbedImports;

    /// <summary>The names of the component's top-level exports.</summary>
    public IReadOnlyCollection<string> Exports => _plan.Exports.Keys;

    /// <summary>Whether <paramref name="bytes"/> are a component (as opposed to a core module), from the preamble.</summary>
    public static bool IsComponent(ReadOnlySpan<byte> bytes) => ComponentParser.IsComponent(bytes);

    /// <summary>Parses, compiles and links a component.</summary>
    /// <param name="engine">The engine its core modules are compiled for.</param>
    /// <param name="bytes">The component binary.</param>
    /// <param name="host">The interfaces the host serves; imports are type-checked against them.</param>
    /// <param name="compile">Compiles a core module; by default Wasmtime's <c>Module.FromBytes</c>,
    /// and the component then owns (and disposes) the modules.</param>
    /// <remarks>
    /// Give an engine with the GC, typed function references and exception handling proposals off (as Spindle's host
    /// does): with them on, Wasmtime's .NET binding aborts the process when a core module's imports or exports use
    /// their reference types, instead of refusing the module.
    /// </remarks>
    /// <exception cref="ComponentLoadException">The component is malformed, uses unsupported features, or an import's type differs from the host's.</exception>
    /// <exception cref="WasmtimeException">A core module does not compile.</exception>
    public static Component Load(Engine engine, ReadOnlyMemory<byte> bytes, HostDefinitions host, CoreModuleCompiler? compile = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(host);
        var syntax = ComponentParser.Parse(bytes);
        var sources = new List<CoreModuleDefinition>();
        Collect(syntax, sources);
        var modules = new List<Module>(sources.Count);
        try
        {
            foreach (var source in sources.OrderBy(s => s.Ordinal))
            {
                modules.Add(compile is null
                    ? Module.FromBytes(engine, $"core module {source.Ordinal}", source.Bytes.ToArray())
                    : compile(source.Ordinal, source.Bytes));
            }

            var plan = ComponentLinker.Link(syntax, modules, host);
            plan.HostLinker = new HostLinker(engine, plan);
            return new Component(plan, ownsModules: compile is null);
        }
        catch
        {
            if (compile is null)
            {
                modules.ForEach(m => m.Dispose());
            }

            throw;
        }
    }

    /// <summary>The type of an exported function (see <see cref="ComponentInstance.GetFunction"/> for the names), or <see langword="null"/>.</summary>
    public FunctionType? GetFunctionType(string name, string? function = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return FindExport(_plan, name, function)?.Type;
    }

    /// <summary>
    /// Instantiates the component in <paramref name="store"/>: its core instances in the component's order (running
    /// their start functions), with host functions bound to this instance and its <paramref name="state"/>.
    /// </summary>
    /// <remarks>
    /// When <paramref name="store"/> carries no data, the instance becomes its data (<see cref="Store.GetData"/>) and
    /// takes the host functions the component defined once for all its instances; that is the cheap path, for one
    /// instance per store. A store that already carries data keeps it, and the instance creates its own host
    /// functions.
    /// </remarks>
    /// <exception cref="WasmtimeException">A core instance cannot be created or its start function trapped.</exception>
    public ComponentInstance Instantiate(Store store, object? state = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new ComponentInstance(_plan, store, state);
    }

    /// <summary>Frees the compiled modules when the component compiled them itself.</summary>
    public void Dispose()
    {
        _plan.HostLinker?.Dispose();
        if (_ownsModules)
        {
            foreach (var module in _plan.Modules)
            {
                module.Dispose();
            }
        }
    }

    internal static LiftedFunction? FindExport(ComponentPlan plan, string name, string? function)
    {
        var item = plan.Exports.GetValueOrDefault(name);
        if (function is not null)
        {
            item = item is StaticInstance instance ? instance.Items.GetValueOrDefault(function) : null;
        }

        return (item as LiftedRef)?.Function;
    }

    private static void Collect(ComponentSyntax syntax, List<CoreModuleDefinition> modules)
    {
        foreach (var definition in syntax.Definitions)
        {
            if (definition is CoreModuleDefinition module)
            {
                modules.Add(module);
            }
            else if (definition is ComponentDefinition nested)
            {
                Collect(nested.Component, modules);
            }
        }
    }
}
