using Spindle.Core;
using Spindle.Sqlite;
using Xunit;

namespace Spindle.Configuration.Tests;

/// <summary>Every error names the file, the key at fault, and what to do about it.</summary>
public sealed class RuntimeConfigErrorTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly SqliteStoreProvider _sqlite = new();

    private string ConfigPath => _temp.Combine("runtime-config.toml");

    public void Dispose()
    {
        _sqlite.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Invalid_toml_names_file_position_and_says_it_is_not_toml()
    {
        var path = _temp.WriteFile("runtime-config.toml", "state_dir = \".spin\"\n[key_value_store.default\ntype = \"spin\"\n");

        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("(2,", ex.Message, StringComparison.Ordinal); // line 2, where the table header is unclosed
        Assert.Contains("runtime config is not valid TOML", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_key_is_invalid_toml_naming_file_and_key()
    {
        var path = _temp.WriteFile("runtime-config.toml", "state_dir = \"a\"\nstate_dir = \"b\"\n");

        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("state_dir", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not valid TOML", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_store_table_is_invalid_toml()
    {
        var path = _temp.WriteFile("runtime-config.toml", """
            [key_value_store.default]
            type = "spin"
            path = "kv.db"

            [key_value_store.default]
            type = "memory"
            """);

        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("key_value_store.default", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_toml_without_a_position_still_names_the_file()
    {
        var path = _temp.WriteFile("runtime-config.toml", """
            [key_value_store]
            default = { type = "spin" }
            default.path = "kv.db"
            """);

        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Load(path));

        Assert.Contains("not valid TOML", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_names_file_and_flag()
    {
        var path = _temp.Combine("nope.toml");

        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Load(path));

        AssertNames(ex, path, null, "--runtime-config-file");
        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_top_level_key_names_file_key_and_fix()
    {
        var path = _temp.Combine("runtime-config.toml");

        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Parse("stat_dir = \".spin\"", path));

        AssertNames(ex, path, "stat_dir", "check its spelling");
        Assert.Contains("state_dir", ex.Message, StringComparison.Ordinal); // the known keys, so the typo is obvious
    }

    [Fact]
    public void Unknown_store_type_names_file_key_and_fix()
    {
        var ex = BuildFails("""
            [key_value_store.cache]
            type = "mongo"
            """);

        AssertNames(ex, ConfigPath, "key_value_store.cache.type", "use one of:");
        Assert.Contains("\"mongo\"", ex.Message, StringComparison.Ordinal);
        foreach (var type in new[] { "spin", "redis", "azure_cosmos", "aws_dynamo", "memory" })
        {
            Assert.Contains(type, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Missing_type_names_file_key_and_fix()
    {
        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Parse("[key_value_store.cache]\nurl = \"redis://x\"", ConfigPath));

        AssertNames(ex, ConfigPath, "key_value_store.cache.type", "add type = \"spin\"");
    }

    [Theory]
    [InlineData("redis", "url")]
    [InlineData("azure_cosmos", "account")]
    [InlineData("aws_dynamo", "region")]
    public void Missing_required_option_names_file_key_and_fix(string type, string option)
    {
        var ex = BuildFails($"""
            [key_value_store.remote]
            type = "{type}"
            """);

        AssertNames(ex, ConfigPath, $"key_value_store.remote.{option}", $"add {option} = ...");
        Assert.Contains($"required for type \"{type}\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_cosmos_container_names_it()
    {
        var ex = BuildFails("""
            [key_value_store.orders]
            type = "azure_cosmos"
            account = "a"
            database = "d"
            """);

        AssertNames(ex, ConfigPath, "key_value_store.orders.container", "add container = ...");
    }

    [Fact]
    public void Wrong_option_type_names_file_key_and_fix()
    {
        var ex = BuildFails("""
            [key_value_store.data]
            type = "spin"
            path = 42
            """);

        AssertNames(ex, ConfigPath, "key_value_store.data.path", "must be a string, not an integer");
    }

    [Fact]
    public void Wrong_boolean_option_type_names_file_key_and_fix()
    {
        var ex = BuildFails("""
            [key_value_store.sessions]
            type = "aws_dynamo"
            region = "us-east-1"
            table = "t"
            consistent_read = "yes"
            """);

        AssertNames(ex, ConfigPath, "key_value_store.sessions.consistent_read", "must be true or false, not a string");
    }

    [Fact]
    public void Unknown_option_names_file_key_and_fix()
    {
        var ex = BuildFails("""
            [key_value_store.data]
            type = "spin"
            pth = "data.db"
            """);

        AssertNames(ex, ConfigPath, "key_value_store.data.pth", "check its spelling");
        Assert.Contains("type \"spin\" takes: path", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Option_on_memory_type_says_it_takes_none()
    {
        var ex = BuildFails("""
            [key_value_store.scratch]
            type = "memory"
            path = "x.db"
            """);

        AssertNames(ex, ConfigPath, "key_value_store.scratch.path", "type \"memory\" takes no options");
    }

    [Fact]
    public void Aws_access_key_without_secret_key_names_file_key_and_fix()
    {
        var ex = BuildFails("""
            [key_value_store.sessions]
            type = "aws_dynamo"
            region = "us-east-1"
            table = "t"
            access_key = "AKIA"
            """);

        AssertNames(ex, ConfigPath, "key_value_store.sessions", "set both access_key and secret_key");
    }

    [Fact]
    public void Aws_secret_key_without_access_key_is_rejected_too()
    {
        var ex = BuildFails("""
            [key_value_store.sessions]
            type = "aws_dynamo"
            region = "us-east-1"
            table = "t"
            secret_key = "shh"
            """);

        AssertNames(ex, ConfigPath, "key_value_store.sessions", "set both access_key and secret_key");
    }

    [Fact]
    public void Store_that_is_not_a_table_names_file_key_and_fix()
    {
        const string toml = """
            [key_value_store]
            cache = "redis"
            """;

        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Parse(toml, ConfigPath));

        AssertNames(ex, ConfigPath, "key_value_store.cache", "must be a table such as [key_value_store.cache]");
        Assert.Contains("not a string", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_value_store_that_is_not_a_table_names_file_and_key()
    {
        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Parse("key_value_store = \"spin\"", ConfigPath));

        AssertNames(ex, ConfigPath, "key_value_store", "must be a table");
    }

    [Fact]
    public void State_dir_that_is_not_a_string_names_file_and_key()
    {
        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Parse("state_dir = true", ConfigPath));

        AssertNames(ex, ConfigPath, "state_dir", "must be a string, not a boolean");
    }

    private ConfigurationException BuildFails(string toml)
    {
        var config = RuntimeConfig.Parse(toml, ConfigPath);
        return Assert.Throws<ConfigurationException>(() => StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite, new InMemoryStoreProvider()],
            RuntimeConfig = config,
        }));
    }

    private static void AssertNames(ConfigurationException ex, string file, string? key, string fix)
    {
        Assert.Equal(file, ex.FilePath);
        Assert.Equal(key, ex.Key);
        Assert.StartsWith(key is null ? $"{file}: " : $"{file}: {key}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(fix, ex.Message, StringComparison.Ordinal);
    }
}
