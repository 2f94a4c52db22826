namespace Spindle.Components;

/// <summary>
/// A resource type. Host resource types are created once, by the host's interface definitions, and shared by every
/// interface that uses them; a guest's values of the type are handles to .NET objects. Resource types a component
/// defines itself exist per loaded component.
/// </summary>
public sealed class ResourceType
{
    private ResourceType(string name, Action<object>? hostDrop, bool isGuest)
    {
        Name = name;
        HostDrop = hostDrop;
        IsGuest = isGuest;
    }

    /// <summary>The resource's name in WIT (for messages).</summary>
    public string Name { get; }

    /// <summary>Called with the host object when the guest drops its own handle (or the instance ends).</summary>
    internal Action<object>? HostDrop { get; }

    /// <summary>Defined by the component (its representation is an i32 the guest chose).</summary>
    internal bool IsGuest { get; }

    /// <summary>For a guest resource type: the core function index of its destructor, or -1.</summary>
    internal int GuestDestructor { get; init; } = -1;

    /// <summary>
    /// Creates a host resource type. <paramref name="drop"/> runs when the guest drops an owned handle, or when the
    /// instance ends still holding one; when it is <see langword="null"/>, objects that are <see cref="IDisposable"/>
    /// are disposed.
    /// </summary>
    public static ResourceType Host(string name, Action<object>? drop = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ResourceType(name, drop ?? DisposeIfDisposable, isGuest: false);
    }

    internal static ResourceType Guest(string name, int destructor) => new(name, null, isGuest: true) { GuestDestructor = destructor };

    /// <summary>A resource type imported by a component whose instantiator has not said what it is yet.</summary>
    internal static ResourceType Abstract(string name) => new(name, null, isGuest: false);

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static void DisposeIfDisposable(object value) => (value as IDisposable)?.Dispose();
}
