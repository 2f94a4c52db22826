using Spindle.Core;

namespace Spindle.Host;

/// <summary>
/// The key-value stores one guest instance has open, by u32 handle, over the labels it may use. This is what the v1
/// interfaces (<c>key-value</c>, <c>fermyon:spin/key-value</c>) operate on. Host-only state: it lives and dies with
/// one instance.
/// </summary>
internal sealed class StoreHandles
{
    private readonly IKeyValueStoreManager _stores;
    private readonly HandleTable<IKeyValueStore> _handles;

    /// <summary>Creates a table that opens stores through <paramref name="stores"/>.</summary>
    /// <param name="stores">Usually <see cref="StoreRegistry.ForComponent"/>, which enforces the component's labels.</param>
    /// <param name="capacity">Most stores open at once; see <see cref="HostOptions.DefaultStoreHandleCapacity"/>.</param>
    public StoreHandles(IKeyValueStoreManager stores, int capacity = HostOptions.DefaultStoreHandleCapacity)
    {
        ArgumentNullException.ThrowIfNull(stores);
        _stores = stores;
        _handles = new HandleTable<IKeyValueStore>(capacity);
    }

    /// <summary>How many stores are open.</summary>
    public int OpenCount => _handles.Count;

    /// <summary>Opens the store with <paramref name="label"/> and returns its handle.</summary>
    /// <exception cref="KeyValueException">Access denied, no such store, store table full, or backend unreachable.</exception>
    public uint Open(string label)
    {
        // Check for room first so a full table does not first open (and possibly connect to) a backend.
        _handles.ThrowIfFull();
        return _handles.Add(_stores.Open(label));
    }

    /// <summary>Returns the store behind <paramref name="handle"/>.</summary>
    /// <exception cref="KeyValueException"><see cref="KeyValueErrorKind.InvalidStore"/> when the handle is not open.</exception>
    public IKeyValueStore Get(uint handle) => _handles.Get(handle);

    /// <summary>Closes <paramref name="handle"/>. Closing a handle that is not open does nothing.</summary>
    public void Close(uint handle) => _handles.Remove(handle);
}
