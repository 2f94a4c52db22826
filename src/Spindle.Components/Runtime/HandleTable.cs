namespace Spindle.Components.Runtime;

/// <summary>One slot of a component instance's handle table (CanonicalABI.md, "Handle State").</summary>
internal sealed class HandleEntry(ResourceType type, object representation, bool own, CallScope? scope)
{
    public ResourceType Type { get; } = type;

    /// <summary>The host's object for host resources; the guest's i32 (boxed) for guest resources.</summary>
    public object Representation { get; } = representation;

    public bool Own { get; } = own;

    /// <summary>Borrows of this owned handle passed to calls that have not returned yet.</summary>
    public int Lends { get; set; }

    /// <summary>For a borrowed handle: the call it was lent for, which must see it dropped before it returns.</summary>
    public CallScope? Scope { get; } = scope;
}

/// <summary>A call into the guest that received borrowed handles; each must be dropped before the call returns.</summary>
internal sealed class CallScope
{
    public int Borrows { get; set; }
}

/// <summary>
/// A component instance's resource handles: index 0 is never valid, freed slots are reused, and every misuse (an
/// unknown or dropped index, the wrong resource type, dropping a lent handle) traps the instance.
/// </summary>
internal sealed class HandleTable
{
    // The spec's bound: handles are indices below 2^28.
    private const int MaxHandles = 1 << 28;

    private readonly List<HandleEntry?> _entries = [null];
    private readonly Stack<int> _free = new();

    public int Count => _entries.Count - 1 - _free.Count;

    public int Add(HandleEntry entry)
    {
        if (_free.TryPop(out var index))
        {
            _entries[index] = entry;
            return index;
        }

        if (_entries.Count >= MaxHandles)
        {
            throw new ComponentTrapException("the instance's handle table is full (2^28 handles)");
        }

        _entries.Add(entry);
        return _entries.Count - 1;
    }

    public HandleEntry Get(int index, ResourceType type)
    {
        var entry = (uint)index < (uint)_entries.Count ? _entries[index] : null;
        if (entry is null)
        {
            throw new ComponentTrapException($"handle {(uint)index} is not a live {type.Name} handle (never created, or already dropped)");
        }

        if (!ReferenceEquals(entry.Type, type))
        {
            throw new ComponentTrapException($"handle {index} is a {entry.Type.Name}, not a {type.Name}");
        }

        return entry;
    }

    public HandleEntry Remove(int index, ResourceType type)
    {
        var entry = Get(index, type);
        if (entry.Own && entry.Lends > 0)
        {
            throw new ComponentTrapException($"handle {index} ({type.Name}) is lent to a call that has not returned");
        }

        _entries[index] = null;
        _free.Push(index);
        return entry;
    }

    /// <summary>Removes and returns every live entry (when the instance ends).</summary>
    public List<HandleEntry> Drain()
    {
        var live = new List<HandleEntry>();
        for (var i = 1; i < _entries.Count; i++)
        {
            if (_entries[i] is { } entry)
            {
                live.Add(entry);
                _entries[i] = null;
            }
        }

        _entries.RemoveRange(1, _entries.Count - 1);
        _free.Clear();
        return live;
    }
}
