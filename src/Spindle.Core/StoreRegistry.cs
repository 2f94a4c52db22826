using System.Collections.Frozen;

namespace Spindle.Core;

/// <summary>
/// Every store label the application defines, each bound to the backend manager that serves it. Stores it opens are
/// wrapped so that <see cref="KeyValueLimits"/> apply the same way on every backend. The registry owns the managers and
/// disposes those that are <see cref="IDisposable"/>.
/// </summary>
public sealed class StoreRegistry : IKeyValueStoreManager, IDisposable
{
    private readonly Dictionary<string, IKeyValueStoreManager> _managers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IKeyValueStore> _opened = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private bool _disposed;

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
                return [.. _managers.Keys];
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
            if (!_managers.TryAdd(label, manager))
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
            return _managers.ContainsKey(label);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The same label returns the same store instance each time, so opening is cheap after the first call.</remarks>
    public IKeyValueStore Open(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_opened.TryGetValue(label, out var store))
            {
                return store;
            }

            if (!_managers.TryGetValue(label, out var manager))
            {
                throw new KeyValueException(KeyValueErrorKind.NoSuchStore, $"no key-value store is configured with label '{label}'");
            }

            store = new LimitedStore(manager.Open(label), Limits);
            _opened.Add(label, store);
            return store;
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
            toDispose = [.. _managers.Values.OfType<IDisposable>().Distinct()];
            _managers.Clear();
            _opened.Clear();
        }

        foreach (var disposable in toDispose)
        {
            disposable.Dispose();
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
