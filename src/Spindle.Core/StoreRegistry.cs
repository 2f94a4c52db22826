using System.Collections.Frozen;

namespace Spindle.Core;

/// <summary>
/// Every store label the application defines, each bound to the backend manager that serves it. Stores it opens are
/// wrapped so that <see cref="KeyValueLimits"/> apply the same way on every backend. The registry owns the managers and
/// disposes those that are <see cref="IDisposable"/>.
/// </summary>
public sealed class StoreRegistry : IKeyValueStoreManager, IDisposable
{
    private readonly Dictionary<string, LabelSlot> _slots = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private volatile bool _disposed;

    /// <summary>Creates an empty registry enforcing <paramref name="limits"/>.</summary>
    public StoreRegistry(KeyValueLimits? limits = null)
    {
        Limits = limits ?? KeyValueLimits.Default;
        Limits.Validate();
    }

    /// <summary>The size limits every store enforces.</summary>
    public KeyValueLimits Limits { get; }

    /// <summary>The labels defined, in no particular order.</summary>
    public IReadOnlyCollection<string> Labels
    {
        get
        {
            lock (_gate)
            {
                return [.. _slots.Keys];
            }
        }
    }

    /// <summary>Binds <paramref name="label"/> to <paramref name="manager"/>.</summary>
    /// <exception cref="ArgumentException">The label is already defined.</exception>
    public void Add(string label, IKeyValueStoreManager manager)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        ArgumentNullException.ThrowIfNull(manager);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_slots.TryAdd(label, new LabelSlot(manager)))
            {
                throw new ArgumentException($"store label '{label}' is already defined", nameof(label));
            }
        }
    }

    /// <summary>Whether <paramref name="label"/> is defined.</summary>
    public bool Contains(string label)
    {
        lock (_gate)
        {
            return _slots.ContainsKey(label);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The same label returns the same store instance each time, so opening is cheap after the first call. Labels open
    /// independently: a backend that is slow to open (a Redis connect) holds up only callers of its own label, and
    /// they wait no longer than their <see cref="KeyValueDeadline"/>. A failed open is not remembered; the next call
    /// tries again.
    /// </remarks>
    public IKeyValueStore Open(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        LabelSlot? slot;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _slots.TryGetValue(label, out slot);
        }

        if (slot is null)
        {
            throw new KeyValueException(KeyValueErrorKind.NoSuchStore, $"no key-value store is configured with label '{label}'");
        }

        return slot.Store ?? OpenSlow(label, slot);
    }

    private IKeyValueStore OpenSlow(string label, LabelSlot slot)
    {
        var wait = KeyValueDeadline.Bound(Timeout.InfiniteTimeSpan);
        if (!slot.Gate.TryEnter(wait))
        {
            throw new KeyValueException(KeyValueErrorKind.Io, $"store '{label}' is still being opened by another request and the request's deadline has passed; retry");
        }

        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return slot.Store ??= new LimitedStore(slot.Manager.Open(label), Limits);
        }
        finally
        {
            slot.Gate.Exit();
        }
    }

    /// <summary>
    /// A view that lets a component open only the labels in <paramref name="allowedLabels"/> (its
    /// <c>key_value_stores</c>); any other label is <see cref="KeyValueErrorKind.AccessDenied"/>, whether or not it exists.
    /// </summary>
    public IKeyValueStoreManager ForComponent(IEnumerable<string> allowedLabels)
    {
        ArgumentNullException.ThrowIfNull(allowedLabels);
        return new ComponentStores(this, allowedLabels.ToFrozenSet(StringComparer.Ordinal));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        List<IDisposable> toDispose;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            toDispose = [.. _slots.Values.Select(s => s.Manager).OfType<IDisposable>().Distinct()];
            _slots.Clear();
        }

        foreach (var disposable in toDispose)
        {
            disposable.Dispose();
        }
    }

    // One per label: its manager, its store once opened, and the lock only its own openers take.
    private sealed class LabelSlot(IKeyValueStoreManager manager)
    {
        private volatile IKeyValueStore? _store;

        public IKeyValueStoreManager Manager { get; } = manager;

        public Lock Gate { get; } = new();

        public IKeyValueStore? Store
        {
            get => _store;
            set => _store = value;
        }
    }

    private sealed class ComponentStores(StoreRegistry registry, FrozenSet<string> allowed) : IKeyValueStoreManager
    {
        public IKeyValueStore Open(string label)
        {
            ArgumentNullException.ThrowIfNull(label);
            return allowed.Contains(label)
                ? registry.Open(label)
                : throw new KeyValueException(
                    KeyValueErrorKind.AccessDenied,
                    $"access denied to key-value store '{label}': add it to the component's key_value_stores in spin.toml");
        }
    }
}
