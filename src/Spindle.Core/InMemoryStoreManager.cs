using System.Collections.Concurrent;

namespace Spindle.Core;

/// <summary>Serves each label from its own <see cref="InMemoryStore"/>, created on first open.</summary>
public sealed class InMemoryStoreManager : IKeyValueStoreManager
{
    private readonly ConcurrentDictionary<string, InMemoryStore> _stores = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public IKeyValueStore Open(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return _stores.GetOrAdd(label, static l => new InMemoryStore(l));
    }
}
