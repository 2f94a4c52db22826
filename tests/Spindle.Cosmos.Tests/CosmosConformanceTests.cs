using Spindle.Conformance;
using Spindle.Core;

namespace Spindle.Cosmos.Tests;

// Issue #7: the Azure Cosmos backend passes the one conformance suite against a real (local) Cosmos DB server.

/// <summary>
/// Each test instance gets a container of its own (the local server scans a whole container for every query, so tests
/// sharing one would slow each other down) and an app id, so its labels are partitions <c>&lt;app id&gt;/&lt;label&gt;</c>.
/// </summary>
internal sealed class AppScopedLabels : IKeyValueStoreManager, IDisposable
{
    private readonly CosmosStoreProvider _provider = new();
    private readonly IKeyValueStoreManager _manager;

    public AppScopedLabels(CosmosServer server, string valueEncoding)
    {
        var container = $"c{Guid.NewGuid():N}";
        server.CreateContainerAsync(container, "/store_id").GetAwaiter().GetResult();
        _manager = _provider.Create(server.Options($"t{Guid.NewGuid():N}", valueEncoding, container), new StoreProviderContext("test", "/"));
    }

    public IKeyValueStore Open(string label) => _manager.Open(label);

    public void Dispose() => _provider.Dispose();
}

public sealed class CosmosSpinLayoutStoreTests(CosmosServer server) : KeyValueStoreConformance
{
    protected override IKeyValueStoreManager CreateManager()
    {
        server.RequireOrSkip();
        return new AppScopedLabels(server, CosmosStoreOptions.BytesEncoding);
    }
}
