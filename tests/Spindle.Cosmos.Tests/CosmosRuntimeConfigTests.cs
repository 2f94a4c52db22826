using Spindle.Configuration;
using Spindle.Sqlite;

namespace Spindle.Cosmos.Tests;

// Issue #7: the runtime-config table type = "azure_cosmos", bound and opened as the CLI does.
public sealed class CosmosRuntimeConfigTests(CosmosServer server) : IDisposable
{
    private readonly CosmosStoreProvider _cosmos = new();
    private readonly SqliteStoreProvider _sqlite = new();
    private readonly TempDirectory _folder = new();

    public void Dispose()
    {
        _cosmos.Dispose();
        _sqlite.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void Spin_s_options_plus_endpoint_serve_labels_on_one_container()
    {
        server.RequireOrSkip();
        var app = $"r{Guid.NewGuid():N}";
        using var stores = Build($"""
            [key_value_store.cache]
            type = "azure_cosmos"
            account = "localaccount"
            database = "{CosmosServer.Database}"
            container = "{CosmosServer.Container}"
            key = "{CosmosServer.AccountKey}"
            endpoint = "{server.Endpoint}"
            insecure_skip_tls_verify = true
            app_id = "{app}"

            [key_value_store.sessions]
            type = "azure_cosmos"
            account = "localaccount"
            database = "{CosmosServer.Database}"
            container = "{CosmosServer.Container}"
            key = "{CosmosServer.AccountKey}"
            endpoint = "{server.Endpoint}"
            insecure_skip_tls_verify = true
            app_id = "{app}"
            value_encoding = "base64"
            timeout_ms = 2000
            """);

        var cache = stores.Registry.Open("cache");
        var sessions = stores.Registry.Open("sessions");
        cache.Set("k", "c"u8.ToArray());
        sessions.Set("k", "s"u8.ToArray());

        Assert.Equal("c"u8.ToArray(), cache.Get("k"));
        Assert.Equal("s"u8.ToArray(), sessions.Get("k"));
        Assert.Equal(
            $"Azure Cosmos container \"kv\" in database \"spindle\" of account \"localaccount\" at {server.Endpoint}",
            stores.Location("cache").Description);
    }

    [Theory]
    [InlineData("", "key is missing", "add key = ")]
    [InlineData("key = \"not base64!\"", "key is not a base64 account key", "copy the primary or secondary key")]
    [InlineData("key = \"AAAA\"\nendpoint = \"ftp://x/\"", "endpoint \"ftp://x/\" is not an account URL", "https://host[:port]/")]
    [InlineData("key = \"AAAA\"\ninsecure_skip_tls_verify = true", "insecure_skip_tls_verify is only for a local server", "set endpoint")]
    [InlineData("key = \"AAAA\"\nvalue_encoding = \"hex\"", "value_encoding \"hex\" is not known", "\"base64\"")]
    [InlineData("key = \"AAAA\"\ntimeout_ms = 0", "timeout_ms must be a positive number", "remove it to use 5000")]
    [InlineData("key = \"AAAA\"\napp_id = \"\"", "app_id is empty", "remove it")]
    [InlineData("key = \"AAAA\"\ncontainer_name = \"x\"", "unknown option", "endpoint, insecure_skip_tls_verify, app_id")]
    public void Bad_options_name_the_file_the_table_and_the_fix(string extra, string problem, string fix)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Build($"""
            [key_value_store.cache]
            type = "azure_cosmos"
            account = "acct"
            database = "db"
            container = "ctr"
            {extra}
            """));

        Assert.Contains("runtime-config.toml", ex.Message, StringComparison.Ordinal);
        Assert.Contains("key_value_store.cache", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains(fix, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_key_is_never_repeated_in_the_message()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Build("""
            [key_value_store.cache]
            type = "azure_cosmos"
            account = "acct"
            database = "db"
            container = "ctr"
            key = "hunter2-not-base64"
            """));

        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("account = \"a/b\"\ndatabase = \"db\"\ncontainer = \"ctr\"", "account \"a/b\" is not a valid Cosmos DB name")]
    [InlineData("account = \"acct\"\ndatabase = \"\"\ncontainer = \"ctr\"", "database \"\" is not a valid Cosmos DB name")]
    [InlineData("account = \"acct\"\ndatabase = \"db\"\ncontainer = \"c#1\"", "container \"c#1\" is not a valid Cosmos DB name")]
    public void Bad_names_say_which_option_is_wrong(string names, string problem)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Build($"""
            [key_value_store.cache]
            type = "azure_cosmos"
            {names}
            key = "AAAA"
            """));

        Assert.Contains("key_value_store.cache", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    private ConfiguredStores Build(string toml)
    {
        var path = _folder.WriteFile("runtime-config.toml", toml);
        return StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite, _cosmos],
            RuntimeConfig = RuntimeConfig.Load(path),
            StateDirFlag = string.Empty,
        });
    }
}
