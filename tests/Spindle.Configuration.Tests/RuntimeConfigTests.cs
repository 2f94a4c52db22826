using Spindle.Core;
using Spindle.Sqlite;
using Xunit;

namespace Spindle.Configuration.Tests;

public sealed class RuntimeConfigTests : IDisposable
{
    private const string AllTypes = """
        state_dir = "state"

        [key_value_store.local]
        type = "spin"
        path = "data/kv.db"

        [key_value_store.cache]
        type = "redis"
        url = "redis://127.0.0.1:6379"

        [key_value_store.orders]
        type = "azure_cosmos"
        account = "acct"
        database = "db"
        container = "ctr"
        key = "secret-key"

        [key_value_store.sessions]
        type = "aws_dynamo"
        region = "us-east-1"
        table = "spin-kv"
        access_key = "AKIA"
        secret_key = "shh"
        token = "tok"
        consistent_read = true

        [key_value_store.scratch]
        type = "memory"
        """;

    private readonly TempDirectory _temp = new();
    private readonly SqliteStoreProvider _sqlite = new();

    public void Dispose()
    {
        _sqlite.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Parses_state_dir_and_every_store_in_file_order()
    {
        var path = _temp.WriteFile("conf/runtime-config.toml", AllTypes);

        var config = RuntimeConfig.Load(path);

        Assert.Equal(path, config.FilePath);
        Assert.Equal(_temp.Combine("conf"), config.BaseDirectory);
        Assert.Equal("state", config.StateDir);
        Assert.Equal(
            [("local", "spin"), ("cache", "redis"), ("orders", "azure_cosmos"), ("sessions", "aws_dynamo"), ("scratch", "memory")],
            config.Stores.Select(s => (s.Label, s.Type)));
        Assert.All(config.Stores, s => Assert.Equal(path, s.FilePath));
        Assert.All(config.Stores, s => Assert.DoesNotContain("type", s.Options.Keys));
    }

    [Fact]
    public void Spin_type_binds_path()
    {
        var options = (SqliteStoreOptions)OptionsBinder.Bind(typeof(SqliteStoreOptions), Store(AllTypes, "local"));

        Assert.Equal("data/kv.db", options.Path);
    }

    [Fact]
    public void Spin_type_without_path_binds_no_path()
    {
        var options = (SqliteStoreOptions)OptionsBinder.Bind(
            typeof(SqliteStoreOptions),
            Store("[key_value_store.mem]\ntype = \"spin\"", "mem"));

        Assert.Null(options.Path);
    }

    [Fact]
    public void Redis_type_binds_url()
    {
        var options = (RedisOptions)OptionsBinder.Bind(typeof(RedisOptions), Store(AllTypes, "cache"));

        Assert.Equal("redis://127.0.0.1:6379", options.Url);
    }

    [Fact]
    public void Azure_cosmos_type_binds_account_database_container_and_key()
    {
        var options = (AzureCosmosOptions)OptionsBinder.Bind(typeof(AzureCosmosOptions), Store(AllTypes, "orders"));

        Assert.Equal(new AzureCosmosOptions("acct", "db", "ctr", "secret-key"), options);
    }

    [Fact]
    public void Azure_cosmos_key_is_optional()
    {
        const string toml = """
            [key_value_store.orders]
            type = "azure_cosmos"
            account = "acct"
            database = "db"
            container = "ctr"
            """;

        var options = (AzureCosmosOptions)OptionsBinder.Bind(typeof(AzureCosmosOptions), Store(toml, "orders"));

        Assert.Null(options.Key);
    }

    [Fact]
    public void Aws_dynamo_type_binds_every_option()
    {
        var options = (AwsDynamoOptions)OptionsBinder.Bind(typeof(AwsDynamoOptions), Store(AllTypes, "sessions"));

        Assert.Equal("us-east-1", options.Region);
        Assert.Equal("spin-kv", options.Table);
        Assert.Equal("AKIA", options.AccessKey);
        Assert.Equal("shh", options.SecretKey);
        Assert.Equal("tok", options.Token);
        Assert.True(options.ConsistentRead);
    }

    [Fact]
    public void Aws_dynamo_credentials_and_consistent_read_are_optional()
    {
        const string toml = """
            [key_value_store.sessions]
            type = "aws_dynamo"
            region = "eu-west-1"
            table = "t"
            """;

        var options = (AwsDynamoOptions)OptionsBinder.Bind(typeof(AwsDynamoOptions), Store(toml, "sessions"));

        Assert.Equal("eu-west-1", options.Region);
        Assert.Null(options.AccessKey);
        Assert.Null(options.SecretKey);
        Assert.Null(options.Token);
        Assert.False(options.ConsistentRead);
    }

    [Fact]
    public void Memory_type_binds_with_no_options()
    {
        var options = OptionsBinder.Bind(typeof(InMemoryStoreOptions), Store(AllTypes, "scratch"));

        Assert.IsType<InMemoryStoreOptions>(options);
    }

    [Fact]
    public void Build_defines_every_configured_label_plus_default()
    {
        var path = _temp.WriteFile("runtime-config.toml", AllTypes);

        using var stores = StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite, new InMemoryStoreProvider()],
            RuntimeConfig = RuntimeConfig.Load(path),
        });

        Assert.Equal(
            ["cache", "default", "local", "orders", "scratch", "sessions"],
            stores.Registry.Labels.Order(StringComparer.Ordinal));
        Assert.Equal(_temp.Combine("state"), stores.StateDirectory);
    }

    [Fact]
    public void Empty_state_dir_is_kept_as_empty()
    {
        var config = RuntimeConfig.Parse("state_dir = \"\"", _temp.Combine("rc.toml"));

        Assert.Equal(string.Empty, config.StateDir);
        Assert.Empty(config.Stores);
    }

    [Fact]
    public void Other_spin_sections_are_accepted()
    {
        const string toml = """
            [sqlite_database.default]
            type = "spin"

            [variables_provider]
            type = "env"
            """;

        var config = RuntimeConfig.Parse(toml, _temp.Combine("rc.toml"));

        Assert.Null(config.StateDir);
        Assert.Empty(config.Stores);
    }

    [Fact]
    public void Empty_config_has_no_file_and_no_stores()
    {
        Assert.Null(RuntimeConfig.Empty.FilePath);
        Assert.Null(RuntimeConfig.Empty.StateDir);
        Assert.Empty(RuntimeConfig.Empty.Stores);
    }

    private StoreDefinition Store(string toml, string label) =>
        RuntimeConfig.Parse(toml, _temp.Combine("runtime-config.toml")).Stores.Single(s => s.Label == label);
}
