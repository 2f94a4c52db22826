using Spindle.Core;

namespace Spindle.Host;

/// <summary>
/// The u32 store handles of one guest instance (WIT v1 <c>type store = u32</c>). Handles count up from 0 and are not
/// reused until the counter wraps, so a stale handle is reported as <see cref="KeyValueErrorKind.InvalidStore"/> rather
/// than silently reaching another store. Not thread-safe: one instance runs on one thread at a time.
/// </summary>
/// <typeparam name="T">What a handle refers to.</typeparam>
internal sealed class HandleTable<T>
    where T : class
{
    /// <summary>Default <see cref="Capacity"/>: 1024 open handles per instance.</summary>
    public const int DefaultCapacity = 1024;

    private readonly Dictionary<uint, T> _entries = [];
    private uint _next;

    /// <summary>Creates a table that holds at most <paramref name="capacity"/> open handles.</summary>
    public HandleTable(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>How many handles may be open at once.</summary>
    public int Capacity { get; }

    /// <summary>How many handles are open.</summary>
    public int Count => _entries.Count;

    /// <summary>Stores <paramref name="item"/> and returns its new handle.</summary>
    /// <exception cref="KeyValueException"><see cref="KeyValueErrorKind.StoreTableFull"/> when <see cref="Capacity"/> handles are open.</exception>
    public uint Add(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        ThrowIfFull();

        // Skip ids still in use after the counter wrapped; Count < Capacity <= 2^31 guarantees a free one.
        while (_entries.ContainsKey(_next))
        {
            _next++;
        }

        var handle = _next++;
        _entries.Add(handle, item);
        return handle;
    }

    /// <summary>Throws when no further handle can be added, so callers can check before doing costly work.</summary>
    /// <exception cref="KeyValueException"><see cref="KeyValueErrorKind.StoreTableFull"/> when <see cref="Capacity"/> handles are open.</exception>
    public void ThrowIfFull()
    {
        if (_entries.Count >= Capacity)
        {
            throw new KeyValueException(
                KeyValueErrorKind.StoreTableFull,
                $"store table is full: {Capacity} stores are open in this instance; close one before opening another");
        }
    }

    /// <summary>Returns the item behind <paramref name="handle"/>.</summary>
    /// <exception cref="KeyValueException"><see cref="KeyValueErrorKind.InvalidStore"/> for a handle that is not open.</exception>
    public T Get(uint handle) =>
        _entries.TryGetValue(handle, out var item)
            ? item
            : throw new KeyValueException(KeyValueErrorKind.InvalidStore, $"store handle {handle} is not open");

    /// <summary>Closes <paramref name="handle"/>; returns <see langword="false"/> when it was not open.</summary>
    public bool Remove(uint handle) => _entries.Remove(handle);
}
