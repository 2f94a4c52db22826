using Microsoft.Extensions.Logging;
using Spindle.Components;
using Spindle.Components.Wasi;
using Spindle.Core;

namespace Spindle.Host.Components;

/// <summary>
/// The host's state for one component instance: its key-value stores (u32 handles for the unversioned interface,
/// resources for <c>@2.0.0</c> and <c>wasi:keyvalue</c>, both under the same capacity), WASI sinks and deadline.
/// </summary>
internal sealed class ComponentState(string componentId, IKeyValueStoreManager stores, HostOptions options, ILogger logger, WasiContext wasi, ResourceCounter counter) : IWasiState
{
    public string ComponentId { get; } = componentId;

    public StoreHandles Handles { get; } = new(stores, options.StoreHandleCapacity);

    public HostOptions Options { get; } = options;

    public ILogger Logger { get; } = logger;

    public WasiContext Wasi { get; } = wasi;

    /// <summary>The component's variables (from its manifest entry, resolved), for the variables interfaces.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>Stores open as resources (<c>@2.0.0</c> stores and <c>wasi:keyvalue</c> buckets) and not dropped yet.</summary>
    public int OpenResources { get; private set; }

    public static ComponentState Of(ComponentInstance instance) =>
        instance.State as ComponentState ?? throw new InvalidOperationException("a Spindle host function ran in an instance without Spindle's state");

    /// <summary>Opens a store as a resource; <see cref="KeyValueErrorKind.StoreTableFull"/> past the capacity.</summary>
    public OpenStore OpenResource(string label)
    {
        if (OpenResources >= Options.StoreHandleCapacity)
        {
            throw new KeyValueException(
                KeyValueErrorKind.StoreTableFull,
                $"this instance already has {Options.StoreHandleCapacity} stores open; drop stores it no longer uses (or raise the handle capacity)");
        }

        var store = stores.Open(label);
        OpenResources++;
        counter.Opened();
        return new OpenStore(store, this);
    }

    internal void Closed()
    {
        OpenResources--;
        counter.Closed();
    }
}

/// <summary>Stores open as resources across every instance of one component: 0 whenever no request runs.</summary>
internal sealed class ResourceCounter
{
    private long _open;

    public long Open => Interlocked.Read(ref _open);

    public void Opened() => Interlocked.Increment(ref _open);

    public void Closed() => Interlocked.Decrement(ref _open);
}

/// <summary>A store (or bucket) the guest holds as a resource; dropping it frees its place in the capacity.</summary>
internal sealed class OpenStore(IKeyValueStore store, ComponentState owner) : IDisposable
{
    private bool _closed;

    public IKeyValueStore Store { get; } = store;

    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            owner.Closed();
        }
    }
}

/// <summary>A <c>wasi:keyvalue/atomics</c> <c>cas</c>: the key and the version of its value when the handle was made.</summary>
internal sealed class CasHandle(IKeyValueStore store, string key, VersionedValue seen)
{
    public IKeyValueStore Store { get; } = store;

    public string Key { get; } = key;

    public VersionedValue Seen { get; set; } = seen;
}
