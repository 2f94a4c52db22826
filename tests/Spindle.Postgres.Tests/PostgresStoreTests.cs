using Spindle.Conformance;
using Spindle.Core;

namespace Spindle.Postgres.Tests;

/// <summary>The conformance suite against the test cluster; every test gets its own table.</summary>
public sealed class PostgresConformanceTests(PostgresServer server) : KeyValueStoreConformance
{
    protected override IKeyValueStoreManager CreateManager()
    {
        server.Require();
        return new PostgresDatabase(server.ConnectionString, server.NewTable("conformance"));
    }
}
