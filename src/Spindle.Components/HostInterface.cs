namespace Spindle.Components;

/// <summary>
/// The body of a host function: receives the lifted arguments (see <see cref="ValType"/> for their .NET types)
/// and returns the result value, or <see langword="null"/> for a function without result. Expected failures are
/// returned as the interface's error values; an exception traps the calling instance.
/// </summary>
public delegate object? HostFunctionBody(ComponentInstance instance, object?[] arguments);

/// <summary>
/// One versioned WIT interface the host implements, such as <c>wasi:io/streams@0.2.12</c>: its resource types and
/// functions, with their component types. Components importing a semver-compatible version are linked to it, each
/// function type-checked at load. Build one per interface version and register it in <see cref="HostDefinitions"/>.
/// </summary>
public sealed class HostInterface
{
    private readonly Dictionary<string, ResourceType> _resources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HostFunction> _functions = new(StringComparer.Ordinal);
    private Func<string, FunctionType, HostFunctionBody?>? _fallback;

    /// <summary>Creates an empty interface named like <c>wasi:io/streams@0.2.12</c> or <c>fermyon:spin/key-value</c>.</summary>
    /// <exception cref="ArgumentException">The name is not <c>namespace:package/interface</c> with an optional <c>@version</c>.</exception>
    public HostInterface(string name)
    {
        QualifiedName = InterfaceName.Parse(name) ?? throw new ArgumentException($"'{name}' is not an interface name like wasi:io/streams@0.2.0", nameof(name));
    }

    /// <summary>The interface's full name.</summary>
    public string Name => QualifiedName.ToString();

    internal InterfaceName QualifiedName { get; }

    internal IReadOnlyDictionary<string, HostFunction> Functions => _functions;

    /// <summary>Defines a resource type of this interface (<c>drop</c>: see <see cref="ResourceType.Host"/>).</summary>
    public ResourceType DefineResource(string name, Action<object>? drop = null)
    {
        var type = ResourceType.Host(name, drop);
        AddResource(name, type);
        return type;
    }

    /// <summary>Makes a resource type of another interface visible here under <paramref name="name"/> (WIT's <c>use</c>).</summary>
    public void AddResource(string name, ResourceType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(type);
        if (!_resources.TryAdd(name, type))
        {
            throw new ArgumentException($"{Name} already has a resource named {name}", nameof(name));
        }
    }

    /// <summary>
    /// Defines a function. Resource functions use the Component Model's names: <c>[constructor]r</c>,
    /// <c>[method]r.f</c>, <c>[static]r.f</c>; a method's first parameter is <c>self: borrow&lt;r&gt;</c>.
    /// </summary>
    public void DefineFunction(string name, FunctionType type, HostFunctionBody body)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(body);
        if (!_functions.TryAdd(name, new HostFunction($"{Name}#{name}", type, body)))
        {
            throw new ArgumentException($"{Name} already has a function named {name}", nameof(name));
        }
    }

    /// <summary>
    /// Supplies functions the interface does not define by name: called at load for each such import with its name
    /// and type; returns a body, or <see langword="null"/> to leave the import a stub that traps.
    /// </summary>
    public void DefineFallback(Func<string, FunctionType, HostFunctionBody?> fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        _fallback = fallback;
    }

    internal ResourceType? Resource(string name) => _resources.GetValueOrDefault(name);

    internal HostFunction? Function(string name, FunctionType imported) =>
        _functions.GetValueOrDefault(name)
        ?? (_fallback?.Invoke(name, imported) is { } body ? new HostFunction($"{Name}#{name}", imported, body) : null);
}

/// <summary>A host function with its qualified name (<c>interface#function</c>) and type.</summary>
internal sealed record HostFunction(string QualifiedName, FunctionType Type, HostFunctionBody? Body);

/// <summary>
/// The interfaces a host serves. Lookup follows semver as Wasmtime does: an import of <c>wasi:io/streams@0.2.3</c> is
/// served by the host's <c>0.2.x</c> (same major for 1.0 and later, same minor before 1.0; pre-releases match exactly).
/// </summary>
public sealed class HostDefinitions
{
    private readonly Dictionary<string, HostInterface> _interfaces = new(StringComparer.Ordinal);

    /// <summary>The interfaces, by full name.</summary>
    public IEnumerable<string> Names => _interfaces.Values.Select(i => i.Name);

    /// <summary>Adds an interface.</summary>
    /// <exception cref="ArgumentException">An interface of a compatible version is already defined.</exception>
    public HostDefinitions Add(HostInterface definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (!_interfaces.TryAdd(definition.QualifiedName.CompatibilityKey, definition))
        {
            throw new ArgumentException($"{definition.Name} is already served by {_interfaces[definition.QualifiedName.CompatibilityKey].Name}", nameof(definition));
        }

        return this;
    }

    internal HostInterface? Find(string importName) =>
        InterfaceName.Parse(importName) is { } name ? _interfaces.GetValueOrDefault(name.CompatibilityKey) : null;
}

/// <summary><c>namespace:package/interface@version</c>, with the key under which compatible versions meet.</summary>
internal sealed record InterfaceName(string Path, string? Version)
{
    public string CompatibilityKey => Version is null ? Path : $"{Path}@{CompatibleVersion(Version)}";

    public static InterfaceName? Parse(string name)
    {
        var at = name.IndexOf('@', StringComparison.Ordinal);
        var path = at < 0 ? name : name[..at];
        var version = at < 0 ? null : name[(at + 1)..];
        var colon = path.IndexOf(':', StringComparison.Ordinal);
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return colon > 0 && slash > colon + 1 && slash < path.Length - 1 && version is not ""
            ? new InterfaceName(path, version)
            : null;
    }

    public override string ToString() => Version is null ? Path : $"{Path}@{Version}";

    private static string CompatibleVersion(string version)
    {
        if (version.Contains('-', StringComparison.Ordinal) || version.Contains('+', StringComparison.Ordinal))
        {
            return version;
        }

        var parts = version.Split('.');
        if (parts.Length != 3 || !parts.All(p => p.Length > 0 && p.All(char.IsAsciiDigit)))
        {
            return version;
        }

        return parts[0] != "0" ? parts[0] : parts[1] != "0" ? $"0.{parts[1]}" : version;
    }
}
