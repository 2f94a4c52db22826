using Spindle.Core;

namespace Spindle.Cosmos;

/// <summary>
/// Runtime-config type <c>azure_cosmos</c>: Azure Cosmos DB (NoSQL API) through Microsoft.Azure.Cosmos, in gateway
/// mode. Labels configured with the same account, key, endpoint and container share one client; each label's
/// documents are one logical partition of the container (partition key path <c>/store_id</c>).
/// </summary>
public sealed class CosmosStoreProvider : KeyValueStoreProvider<CosmosStoreOptions>, IDisposable
{
    private readonly Dictionary<CosmosStoreOptions, CosmosContainer> _containers = [];
    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public override string Type => "azure_cosmos";

    /// <inheritdoc/>
    /// <remarks>Sends nothing: the first <see cref="IKeyValueStoreManager.Open"/> checks the container.</remarks>
    public override IKeyValueStoreManager Create(CosmosStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);

        // Labels differing only in app id or value encoding share the container's client.
        var shared = options with { AppId = null, ValueEncoding = CosmosStoreOptions.BytesEncoding };
        lock (_gate)
        {
            // Building a client opens no connection, so holding the lock here never waits on the network.
            if (!_containers.TryGetValue(shared, out var container))
            {
                container = new CosmosContainer(shared);
                _containers[shared] = container;
            }

            return new CosmosStoreManager(container, options.AppId, options.ValueEncoding == CosmosStoreOptions.Base64Encoding);
        }
    }

    /// <inheritdoc/>
    public override StoreLocation Describe(CosmosStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        return new StoreLocation(CosmosContainer.Describe(options), IsTemporary: false);
    }

    /// <summary>Closes every client this provider created.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var container in _containers.Values)
            {
                container.Dispose();
            }

            _containers.Clear();
        }
    }
}
