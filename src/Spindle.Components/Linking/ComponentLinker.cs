using Spindle.Components.Binary;
using Spindle.Components.Runtime;
using Wasmtime;

namespace Spindle.Components.Linking;

/// <summary>
/// Links a parsed component against the host's interfaces, once per loaded component: walks its definitions in
/// order (Explainer.md's index spaces), resolves and checks every type, binds each imported interface to the
/// host's definition, inlines nested components, and emits the <see cref="ComponentPlan"/> steps that build an
/// instance. Only what must exist per instance (core instances, lowered functions, resource built-ins) becomes a
/// step; everything else is resolved here.
/// </summary>
internal sealed class ComponentLinker
{
    private readonly HostDefinitions _host;
    private readonly IReadOnlyList<Module> _modules;
    private readonly ComponentPlan _plan;

    private ComponentLinker(HostDefinitions host, IReadOnlyList<Module> modules)
    {
        _host = host;
        _modules = modules;
        _plan = new ComponentPlan(modules);
    }

    public static ComponentPlan Link(ComponentSyntax component, IReadOnlyList<Module> modules, HostDefinitions host)
    {
        var linker = new ComponentLinker(host, modules);
        var frame = new Frame(parent: null, arguments: null);
        linker.Evaluate(component, frame);
        foreach (var (name, item) in frame.Exports)
        {
            CheckExport(name, item);
            linker._plan.Exports[name] = item;
        }

        return linker._plan;
    }

    private static void CheckExport(string name, object item)
    {
        switch (item)
        {
            case LiftedRef lifted when lifted.Unsupported is not null:
                throw new ComponentLoadException($"export {name} uses {lifted.Unsupported}, which is outside the synchronous Component Model this host supports");
            case StaticInstance instance:
                foreach (var (member, value) in instance.Items)
                {
                    CheckExport($"{name}#{member}", value);
                }

                break;
        }
    }

    private void Evaluate(ComponentSyntax component, Frame frame)
    {
        foreach (var definition in component.Definitions)
        {
            switch (definition)
            {
                case CoreModuleDefinition module:
                    frame.CoreModules.Add(module.Ordinal);
                    break;
                case CoreInstantiateDefinition instantiate:
                    CoreInstantiate(frame, instantiate);
                    break;
                case CoreInlineExportsDefinition inline:
                    var bag = new Dictionary<string, (Sort, int)>(StringComparer.Ordinal);
                    foreach (var (name, sort, index) in inline.Exports)
                    {
                        bag[name] = (sort, CoreSpace(frame, sort).At(index, sort));
                    }

                    frame.CoreInstances.Add(new CoreInstance(-1, null, bag));
                    break;
                case CoreTypeDefinition:
                    break;
                case ComponentDefinition nested:
                    frame.Components.Add(new StaticComponent(nested.Component, frame));
                    break;
                case InstantiateDefinition instantiate:
                    Instantiate(frame, instantiate);
                    break;
                case InlineExportsDefinition inline:
                    var items = new Dictionary<string, object>(StringComparer.Ordinal);
                    foreach (var (name, sort, index) in inline.Exports)
                    {
                        items[name] = Item(frame, sort, index);
                    }

                    frame.Instances.Add(new StaticInstance(items));
                    break;
                case AliasExportDefinition alias:
                    var instance = frame.Instances.At(alias.Instance, Sort.Instance);
                    var aliased = instance.Items.GetValueOrDefault(alias.Name)
                        ?? throw new ComponentLoadException($"alias of export {alias.Name}: the instance has no such export");
                    Push(frame, alias.Sort, aliased);
                    break;
                case AliasCoreExportDefinition alias:
                    var core = frame.CoreInstances.At(alias.Instance, Sort.CoreInstance);
                    CoreSpace(frame, alias.Sort).Add(CoreExport(core, alias.Name, alias.Sort));
                    break;
                case AliasOuterDefinition alias:
                    Outer(frame, alias);
                    break;
                case TypeDefinition type:
                    frame.Types.Add(ResolveType(type.Type, frame, frame));
                    break;
                case CanonLiftDefinition lift:
                    Lift(frame, lift);
                    break;
                case CanonLowerDefinition lower:
                    Lower(frame, lower);
                    break;
                case CanonResourceDefinition resource:
                    var resourceType = frame.Types.At(resource.Type, Sort.Type) as ResourceType
                        ?? throw new ComponentLoadException($"resource.{resource.Builtin.ToString().ToLowerInvariant()} of type {resource.Type}, which is not a resource");
                    if (resource.Builtin != ResourceBuiltin.Drop && !resourceType.IsGuest)
                    {
                        throw new ComponentLoadException($"resource.{resource.Builtin.ToString().ToLowerInvariant()} of {resourceType.Name}, a resource the component does not define");
                    }

                    var slot = _plan.NewSlot();
                    _plan.Steps.Add(new ResourceStep(slot, resource.Builtin, resourceType));
                    frame.CoreFuncs.Add(slot);
                    break;
                case UnsupportedDefinition unsupported:
                    throw new ComponentLoadException($"the component uses {unsupported.Feature}, which is outside the synchronous Component Model this host supports");
                case ImportDefinition import:
                    Import(frame, import);
                    break;
                case ExportDefinition export:
                    var exported = Item(frame, export.Sort, export.Index);
                    Push(frame, export.Sort, exported);
                    frame.Exports[export.Name] = exported;
                    break;
                default:
                    throw new ComponentLoadException($"unsupported definition {definition.GetType().Name}");
            }
        }
    }

    private void CoreInstantiate(Frame frame, CoreInstantiateDefinition instantiate)
    {
        var ordinal = frame.CoreModules.At(instantiate.Module, Sort.CoreModule);
        var module = _modules[ordinal];
        var arguments = new Dictionary<string, CoreInstance>(StringComparer.Ordinal);
        foreach (var (name, index) in instantiate.Arguments)
        {
            arguments[name] = frame.CoreInstances.At(index, Sort.CoreInstance);
        }

        var imports = new int[module.Imports.Count];
        for (var i = 0; i < imports.Length; i++)
        {
            var import = module.Imports[i];
            var sort = import switch
            {
                FunctionImport => Sort.CoreFunc,
                MemoryImport => Sort.CoreMemory,
                TableImport => Sort.CoreTable,
                GlobalImport => Sort.CoreGlobal,
                _ => throw new ComponentLoadException($"core module {ordinal} imports {import.ModuleName}.{import.Name}, a kind this host cannot provide"),
            };
            var source = arguments.GetValueOrDefault(import.ModuleName)
                ?? throw new ComponentLoadException($"core module {ordinal} imports {import.ModuleName}.{import.Name}, but the component instantiates it without an instance named {import.ModuleName}");
            imports[i] = CoreExport(source, import.Name, sort);
        }

        var slot = _plan.NewSlot();
        _plan.Steps.Add(new CoreInstantiateStep(slot, module, imports));
        frame.CoreInstances.Add(new CoreInstance(slot, module, null));
    }

    private int CoreExport(CoreInstance instance, string name, Sort sort)
    {
        if (instance.Bag is { } bag)
        {
            return bag.TryGetValue(name, out var entry) && entry.Sort == sort
                ? entry.Slot
                : throw new ComponentLoadException($"a core instance has no {SortName(sort)} export named {name}");
        }

        if (instance.Extracted.TryGetValue(name, out var extracted))
        {
            return extracted;
        }

        var export = instance.Module!.Exports.FirstOrDefault(e => e.Name == name);
        var matches = (export, sort) switch
        {
            (FunctionExport, Sort.CoreFunc) or (MemoryExport, Sort.CoreMemory) or (TableExport, Sort.CoreTable) or (GlobalExport, Sort.CoreGlobal) => true,
            _ => false,
        };
        if (!matches)
        {
            throw new ComponentLoadException($"core module {instance.Module.Name} has no {SortName(sort)} export named {name}");
        }

        var slot = _plan.NewSlot();
        _plan.Steps.Add(new CoreExportStep(slot, instance.Slot, name, sort));
        instance.Extracted[name] = slot;
        return slot;
    }

    private void Instantiate(Frame frame, InstantiateDefinition instantiate)
    {
        var component = frame.Components.At(instantiate.Component, Sort.Component);
        var arguments = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, sort, index) in instantiate.Arguments)
        {
            arguments[name] = Item(frame, sort, index);
        }

        var inner = new Frame(component.Parent, arguments);
        Evaluate(component.Syntax, inner);
        frame.Instances.Add(new StaticInstance(inner.Exports));
    }

    private static void Outer(Frame frame, AliasOuterDefinition alias)
    {
        Scope target = frame;
        for (var i = 0u; i < alias.Count; i++)
        {
            target = target.Parent ?? throw new ComponentLoadException($"an outer alias reaches {alias.Count} scopes out, past the outermost component");
        }

        switch (alias.Sort)
        {
            case Sort.Type:
                frame.Types.Add(target.Types.At(alias.Index, Sort.Type));
                break;
            case Sort.CoreType:
                break;
            case Sort.Component when target is Frame outer:
                frame.Components.Add(outer.Components.At(alias.Index, Sort.Component));
                break;
            case Sort.CoreModule when target is Frame outer:
                frame.CoreModules.Add(outer.CoreModules.At(alias.Index, Sort.CoreModule));
                break;
            default:
                throw new ComponentLoadException($"an outer alias of a {SortName(alias.Sort)}, which the spec does not allow");
        }
    }

    private static void Lift(Frame frame, CanonLiftDefinition lift)
    {
        var resolved = frame.Types.At(lift.Type, Sort.Type);
        if (resolved is UnsupportedValueType async)
        {
            // An async function type: refused where it is exported, which names the export.
            frame.Funcs.Add(new LiftedRef(null, async.Feature));
            return;
        }

        var type = resolved as FunctionType
            ?? throw new ComponentLoadException($"canon lift with type {lift.Type}, which is not a function type");
        var options = Options(frame, lift.Options);
        var postReturn = lift.Options.PostReturn is { } p ? frame.CoreFuncs.At(p, Sort.CoreFunc) : -1;
        var unsupported = lift.Options.Unsupported ?? FunctionFlattening.FindUnsupported(type);
        frame.Funcs.Add(unsupported is null
            ? new LiftedRef(new LiftedFunction(frame.CoreFuncs.At(lift.CoreFunc, Sort.CoreFunc), options, postReturn, type), null)
            : new LiftedRef(null, unsupported));
    }

    private void Lower(Frame frame, CanonLowerDefinition lower)
    {
        var func = frame.Funcs.At(lower.Func, Sort.Func);
        if (func is not HostFunction host)
        {
            throw new ComponentLoadException("the component lowers one of its own lifted functions (component-to-component calls); this host does not support composed components yet");
        }

        if (lower.Options.Unsupported is { } feature)
        {
            throw new ComponentLoadException($"import {host.QualifiedName} is lowered with {feature}, which is outside the synchronous Component Model this host supports");
        }

        var options = Options(frame, lower.Options);
        var type = host.Type;
        var needsMemory = type.Parameters.Any(p => FunctionFlattening.NeedsMemory(p.Type))
            || (type.Result is { } result && FunctionFlattening.NeedsMemory(result))
            || type.Parameters.Sum(p => p.Type.Abi.Flat.Length) > FunctionFlattening.MaxFlatParameters
            || (type.Result?.Abi.Flat.Length ?? 0) > FunctionFlattening.MaxFlatResults;
        if (needsMemory && options.Memory < 0)
        {
            throw new ComponentLoadException($"import {host.QualifiedName} is lowered without a memory option, but its type {type} needs one");
        }

        var slot = _plan.NewSlot();
        _plan.Steps.Add(new LowerHostStep(slot, new LoweredFunction(host, options)));
        frame.CoreFuncs.Add(slot);
    }

    private static MemoryOptions Options(Frame frame, CanonOptions options) => new(
        options.Memory is { } m ? frame.CoreMemories.At(m, Sort.CoreMemory) : -1,
        options.Realloc is { } r ? frame.CoreFuncs.At(r, Sort.CoreFunc) : -1,
        options.Encoding);

    private void Import(Frame frame, ImportDefinition import)
    {
        if (frame.Arguments is { } arguments)
        {
            var argument = arguments.GetValueOrDefault(import.Name)
                ?? throw new ComponentLoadException($"a nested component imports {import.Name}, but is instantiated without it");
            Push(frame, ExternSort(import.Type.Kind), argument);
            return;
        }

        switch (import.Type.Kind)
        {
            case ExternKind.Instance:
                var type = frame.Types.At(import.Type.Index, Sort.Type) as DeferredType
                    ?? throw new ComponentLoadException($"import {import.Name}: its type is not an instance type");
                frame.Instances.Add(BindHostInstance(import.Name, type));
                break;
            case ExternKind.Func:
                var importedType = frame.Types.At(import.Type.Index, Sort.Type);
                if (importedType is UnsupportedValueType async)
                {
                    throw new ComponentLoadException($"import {import.Name} uses {async.Feature}, which is outside the synchronous Component Model this host supports");
                }

                var funcType = importedType as FunctionType
                    ?? throw new ComponentLoadException($"import {import.Name}: its type is not a function type");
                _plan.StubbedImports.Add(import.Name);
                frame.Funcs.Add(new HostFunction(import.Name, funcType, null));
                break;
            case ExternKind.Type:
                frame.Types.Add(import.Type.SubResource ? ResourceType.Abstract(import.Name) : frame.Types.At(import.Type.Index, Sort.Type));
                break;
            default:
                throw new ComponentLoadException($"import {import.Name} is a {import.Type.Kind.ToString().ToLowerInvariant()}; this host provides only interfaces, functions and types");
        }
    }

    // Walks the imported instance type with the host's interface at hand: resource exports become the host's resource
    // types, and each function's type, resolved against them, must equal the host's.
    private StaticInstance BindHostInstance(string importName, DeferredType deferred)
    {
        var host = _host.Find(importName);
        var scope = new Scope(deferred.Parent);
        var items = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var declaration in deferred.Declarations)
        {
            switch (declaration)
            {
                case TypeDeclaration typeDeclaration:
                    scope.Types.Add(ResolveType(typeDeclaration.Type, scope, frame: null));
                    break;
                case CoreTypeDeclaration:
                    break;
                case AliasDeclaration { Alias: AliasOuterDefinition { Sort: Sort.Type } outer }:
                    Scope target = scope;
                    for (var i = 0u; i < outer.Count; i++)
                    {
                        target = target.Parent ?? throw new ComponentLoadException($"import {importName}: an outer alias reaches past the outermost component");
                    }

                    scope.Types.Add(target.Types.At(outer.Index, Sort.Type));
                    break;
                case ExportDeclaration { Type.Kind: ExternKind.Type } export:
                    object exported;
                    if (export.Type.SubResource)
                    {
                        exported = host?.Resource(export.Name) ?? ResourceType.Abstract($"{importName}/{export.Name}");
                    }
                    else
                    {
                        exported = scope.Types.At(export.Type.Index, Sort.Type);
                        if (host?.Resource(export.Name) is { } hostResource && !ReferenceEquals(hostResource, exported))
                        {
                            throw new ComponentLoadException($"import {importName}: type {export.Name} is not the host's resource {hostResource.Name}");
                        }
                    }

                    scope.Types.Add(exported);
                    items[export.Name] = exported;
                    break;
                case ExportDeclaration { Type.Kind: ExternKind.Func } export:
                    var declared = scope.Types.At(export.Type.Index, Sort.Type);
                    if (declared is UnsupportedValueType async)
                    {
                        throw new ComponentLoadException($"import {importName} function {export.Name} uses {async.Feature}, which is outside the synchronous Component Model this host supports");
                    }

                    var type = declared as FunctionType
                        ?? throw new ComponentLoadException($"import {importName}: {export.Name} is declared with a type that is not a function type");
                    if (FunctionFlattening.FindUnsupported(type) is { } feature)
                    {
                        throw new ComponentLoadException($"import {importName} function {export.Name} uses {feature}, which is outside the synchronous Component Model this host supports");
                    }

                    var function = host?.Function(export.Name, type);
                    if (function is not null && !FunctionType.Same(type, function.Type))
                    {
                        throw new ComponentLoadException($"import {importName} function {export.Name}: the component expects {type}, the host defines {function.Type}");
                    }

                    if (function is null)
                    {
                        _plan.StubbedImports.Add($"{importName}#{export.Name}");
                    }

                    items[export.Name] = function ?? new HostFunction($"{importName}#{export.Name}", type, null);
                    break;
                default:
                    throw new ComponentLoadException($"import {importName}: its instance type declares something this host does not support ({declaration.GetType().Name})");
            }
        }

        // Functions the host lacks were listed one by one; an interface of types only needs nothing from the host.
        return new StaticInstance(items);
    }

    private static object ResolveType(TypeSyntax syntax, Scope scope, Frame? frame) => syntax switch
    {
        PrimitiveSyntax p => Primitive(p.Kind),
        RecordSyntax r => new RecordType([.. r.Fields.Select(f => new Field(f.Name, Value(f.Type, scope)))]),
        VariantSyntax v => new VariantType([.. v.Cases.Select(c => new Case(c.Name, c.Type is { } t ? Value(t, scope) : null))]),
        ListSyntax l => new ListType(Value(l.Element, scope)),
        TupleSyntax t => new TupleType([.. t.Elements.Select(e => Value(e, scope))]),
        FlagsSyntax f => f.Names.Count is > 0 and <= 32 ? new FlagsType(f.Names) : new UnsupportedValueType("flags with more than 32 names"),
        EnumSyntax e => new EnumType(e.Cases),
        OptionSyntax o => new OptionType(Value(o.Payload, scope)),
        ResultSyntax r => new ResultType(r.Ok is { } ok ? Value(ok, scope) : null, r.Error is { } error ? Value(error, scope) : null),
        OwnSyntax o => new OwnType(Resource(o.Resource, scope)),
        BorrowSyntax b => new BorrowType(Resource(b.Resource, scope)),
        FuncSyntax f => new FunctionType([.. f.Parameters.Select(p => new Field(p.Name, Value(p.Type, scope)))], f.Result is { } result ? Value(result, scope) : null),
        ResourceSyntax r when frame is not null => ResourceType.Guest($"resource {frame.Types.Count}", r.Destructor is { } d ? frame.CoreFuncs.At(d, Sort.CoreFunc) : -1),
        ResourceSyntax => throw new ComponentLoadException("a resource type defined inside an instance or component type"),
        InstanceTypeSyntax i => new DeferredType(i.Declarations, scope),
        ComponentTypeSyntax c => new DeferredType(c.Declarations, scope),
        UnsupportedTypeSyntax u => new UnsupportedValueType(u.Feature),
        _ => throw new ComponentLoadException($"unsupported type {syntax.GetType().Name}"),
    };

    private static ValType Value(TypeRef reference, Scope scope)
    {
        if (reference.Unsupported is { } feature)
        {
            return new UnsupportedValueType(feature);
        }

        if (reference.Primitive is { } kind)
        {
            return Primitive(kind);
        }

        return scope.Types.At(reference.Index, Sort.Type) as ValType
            ?? throw new ComponentLoadException($"type {reference.Index} is used as a value type but is not one");
    }

    private static ResourceType Resource(uint index, Scope scope) =>
        scope.Types.At(index, Sort.Type) as ResourceType ?? throw new ComponentLoadException($"own/borrow of type {index}, which is not a resource");

    private static PrimitiveType Primitive(PrimitiveKind kind) => kind switch
    {
        PrimitiveKind.Bool => ValType.Bool,
        PrimitiveKind.S8 => ValType.S8,
        PrimitiveKind.U8 => ValType.U8,
        PrimitiveKind.S16 => ValType.S16,
        PrimitiveKind.U16 => ValType.U16,
        PrimitiveKind.S32 => ValType.S32,
        PrimitiveKind.U32 => ValType.U32,
        PrimitiveKind.S64 => ValType.S64,
        PrimitiveKind.U64 => ValType.U64,
        PrimitiveKind.F32 => ValType.F32,
        PrimitiveKind.F64 => ValType.F64,
        PrimitiveKind.Char => ValType.Char,
        _ => ValType.String,
    };

    private static object Item(Frame frame, Sort sort, uint index) => sort switch
    {
        Sort.Func => frame.Funcs.At(index, sort),
        Sort.Type => frame.Types.At(index, sort),
        Sort.Instance => frame.Instances.At(index, sort),
        Sort.Component => frame.Components.At(index, sort),
        Sort.CoreModule => frame.CoreModules.At(index, sort),
        _ => throw new ComponentLoadException($"a {SortName(sort)} cannot be exported or passed to a component"),
    };

    private static void Push(Frame frame, Sort sort, object item)
    {
        switch (sort)
        {
            case Sort.Func: frame.Funcs.Add(item); break;
            case Sort.Type: frame.Types.Add(item); break;
            case Sort.Instance: frame.Instances.Add(item as StaticInstance ?? throw Mismatch(sort, item)); break;
            case Sort.Component: frame.Components.Add(item as StaticComponent ?? throw Mismatch(sort, item)); break;
            case Sort.CoreModule: frame.CoreModules.Add(item as int? ?? throw Mismatch(sort, item)); break;
            default: throw new ComponentLoadException($"a {SortName(sort)} cannot be aliased from a component instance");
        }
    }

    private static ComponentLoadException Mismatch(Sort sort, object item) =>
        new($"an item of kind {item.GetType().Name} is used as a {SortName(sort)}");

    private static Sort ExternSort(ExternKind kind) => kind switch
    {
        ExternKind.CoreModule => Sort.CoreModule,
        ExternKind.Func => Sort.Func,
        ExternKind.Type => Sort.Type,
        ExternKind.Component => Sort.Component,
        ExternKind.Instance => Sort.Instance,
        _ => Sort.Value,
    };

    private static IndexSpace<int> CoreSpace(Frame frame, Sort sort) => sort switch
    {
        Sort.CoreFunc => frame.CoreFuncs,
        Sort.CoreMemory => frame.CoreMemories,
        Sort.CoreTable => frame.CoreTables,
        Sort.CoreGlobal => frame.CoreGlobals,
        _ => throw new ComponentLoadException($"a core {SortName(sort)} cannot be exported from a core instance here"),
    };

    internal static string SortName(Sort sort) => sort switch
    {
        Sort.CoreFunc => "core function",
        Sort.CoreTable => "core table",
        Sort.CoreMemory => "core memory",
        Sort.CoreGlobal => "core global",
        Sort.CoreType => "core type",
        Sort.CoreModule => "core module",
        Sort.CoreInstance => "core instance",
        Sort.Func => "function",
        Sort.Value => "value",
        Sort.Type => "type",
        Sort.Component => "component",
        _ => "instance",
    };

    /// <summary>An index space that names its sort when an index is out of range.</summary>
    private sealed class IndexSpace<T> : List<T>
    {
        public T At(uint index, Sort sort) => index < (uint)Count
            ? this[(int)index]
            : throw new ComponentLoadException($"{SortName(sort)} index {index} is out of range (there are {Count})");
    }

    /// <summary>A type scope: a component, or an instance or component type; outer aliases walk <see cref="Parent"/>.</summary>
    private class Scope(Scope? parent)
    {
        public Scope? Parent { get; } = parent;

        public IndexSpace<object> Types { get; } = [];
    }

    private sealed class Frame(Scope? parent, Dictionary<string, object>? arguments) : Scope(parent)
    {
        public Dictionary<string, object>? Arguments { get; } = arguments;

        public IndexSpace<int> CoreModules { get; } = [];

        public IndexSpace<CoreInstance> CoreInstances { get; } = [];

        public IndexSpace<int> CoreFuncs { get; } = [];

        public IndexSpace<int> CoreMemories { get; } = [];

        public IndexSpace<int> CoreTables { get; } = [];

        public IndexSpace<int> CoreGlobals { get; } = [];

        public IndexSpace<object> Funcs { get; } = [];

        public IndexSpace<StaticInstance> Instances { get; } = [];

        public IndexSpace<StaticComponent> Components { get; } = [];

        public Dictionary<string, object> Exports { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A core instance: instantiated from a module (its slot), or a bag of other instances' exports.</summary>
    private sealed class CoreInstance(int slot, Module? module, Dictionary<string, (Sort Sort, int Slot)>? bag)
    {
        public int Slot { get; } = slot;

        public Module? Module { get; } = module;

        public Dictionary<string, (Sort Sort, int Slot)>? Bag { get; } = bag;

        public Dictionary<string, int> Extracted { get; } = new(StringComparer.Ordinal);
    }

    private sealed record StaticComponent(ComponentSyntax Syntax, Scope Parent);

    /// <summary>An instance or component type, resolved when it is known what it is for (an import the host binds).</summary>
    private sealed record DeferredType(IReadOnlyList<Declaration> Declarations, Scope Parent);
}

/// <summary>A component instance as linking sees it: named functions, types and instances.</summary>
internal sealed record StaticInstance(Dictionary<string, object> Items);

/// <summary>A lifted function, or the unsupported feature that makes it unusable.</summary>
internal sealed record LiftedRef(LiftedFunction? Function, string? Unsupported);
