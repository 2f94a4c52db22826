using Spindle.Configuration;
using Spindle.Core;
using Spindle.Sqlite;

namespace Spindle.DynamoDb.Tests;

/// <summary>The runtime-config table <c>type = "aws_dynamo"</c>, bound and opened as the CLI does (issue #7).</summary>
public sealed class DynamoRuntimeConfigTests(DynamoServer server) : IDisposable
{
    private readonly DynamoStoreProvider _dynamo = new();
    private readonly SqliteStoreProvider _sqlite = new();
    private readonly TempDirectory _folder = new();

    public void Dispose()
    {
        _dynamo.Dispose();
        _sqlite.Dispose();
        _folder.Dispose();
    }

    // Issue #7
    [Fact]
    public void Labels_on_one_table_are_served_and_kept_apart()
    {
        server.Require();
        var table = server.Options("config").Table;
        using var stores = Build($"""
            [key_value_store.cache]
            type = "aws_dynamo"
            region = "us-east-1"
            table = "{table}"
            access_key = "{DynamoServer.AccessKey}"
            secret_key = "{DynamoServer.SecretKey}"
            endpoint = "{server.Endpoint}"

            [key_value_store.sessions]
            type = "aws_dynamo"
            region = "us-east-1"
            table = "{table}"
            access_key = "{DynamoServer.AccessKey}"
            secret_key = "{DynamoServer.SecretKey}"
            token = "session-token-secret"
            consistent_read = true
            endpoint = "{server.Endpoint}"
            """);

        var cache = stores.Registry.Open("cache");
        var sessions = stores.Registry.Open("sessions");
        cache.Set("k", "c"u8.ToArray());
        sessions.Set("k", "s"u8.ToArray());

        Assert.Equal("c"u8.ToArray(), cache.Get("k"));
        Assert.Equal("s"u8.ToArray(), sessions.Get("k"));
        Assert.Equal($"DynamoDB table \"{table}\" at {server.Endpoint}", stores.Location("cache").Description);
    }

    // Issue #7
    [Theory]
    [InlineData("access_key = \"AKID\"", "key_value_store.cache:", "access_key is set without secret_key; set both")]
    [InlineData("secret_key = \"hunter2-secret\"", "key_value_store.cache:", "secret_key is set without access_key; set both")]
    [InlineData("token = \"hunter2-secret\"", "key_value_store.cache:", "token is set without access_key and secret_key")]
    [InlineData("endpoint = \"http://user:hunter2-secret@localhost:8000\"", "key_value_store.cache:", "endpoint is not an http:// or https:// URL")]
    [InlineData("endpoint = \"localhost:8000\"", "key_value_store.cache:", "endpoint is not an http:// or https:// URL")]
    [InlineData("consistent_read = \"yes\"", "key_value_store.cache.consistent_read", "must be true or false")]
    [InlineData("consistent_reads = true", "key_value_store.cache.consistent_reads", "unknown option")]
    public void Bad_options_name_the_file_the_key_and_the_fix(string line, string key, string fix)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Build($"""
            [key_value_store.cache]
            type = "aws_dynamo"
            region = "us-east-1"
            table = "kv-items"
            {line}
            """));

        Assert.Contains("runtime-config.toml", ex.Message, StringComparison.Ordinal);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains(fix, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    // Issue #7
    [Theory]
    [InlineData("region = \"\"\ntable = \"kv-items\"", "region \"\" is not an AWS region name")]
    [InlineData("region = \"us-east-1\"\ntable = \"kv\"", "table \"kv\" is not a DynamoDB table name; use 3 to 255")]
    [InlineData("region = \"us-east-1\"\ntable = \"kv items\"", "table \"kv items\" is not a DynamoDB table name")]
    [InlineData("table = \"kv-items\"", "key_value_store.cache.region")]
    [InlineData("region = \"us-east-1\"", "key_value_store.cache.table")]
    public void Region_and_table_are_required_and_checked(string lines, string expected)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Build($"""
            [key_value_store.cache]
            type = "aws_dynamo"
            {lines}
            """));

        Assert.Contains("runtime-config.toml", ex.Message, StringComparison.Ordinal);
        Assert.Contains("key_value_store.cache", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    private ConfiguredStores Build(string toml)
    {
        var path = _folder.WriteFile("runtime-config.toml", toml);
        return StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite, _dynamo],
            RuntimeConfig = RuntimeConfig.Load(path),
            StateDirFlag = string.Empty,
        });
    }
}
