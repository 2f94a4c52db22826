using Spindle.Conformance;
using Spindle.Core;

namespace Spindle.DynamoDb.Tests;

/// <summary>The conformance suite against dynalite (issue #7); every test gets its own table, created on first use.</summary>
public sealed class DynamoConformanceTests(DynamoServer server) : KeyValueStoreConformance
{
    protected override IKeyValueStoreManager CreateManager()
    {
        server.Require();
        return new DynamoTable(server.Options("conformance"));
    }
}
