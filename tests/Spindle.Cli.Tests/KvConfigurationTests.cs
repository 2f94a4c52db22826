using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>How <c>spindle kv</c> finds the app, its runtime config and its stores, and how it reports mistakes.</summary>
public sealed class KvConfigurationTests : IDisposable
{
    private const string CacheConfig = """
        [key_value_store.cache]
        type = "spin"
        path = "cache.db"
        """;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("-s")]
    [InlineData("--store")]
    public async Task Store_option_selects_a_label_from_the_runtime_config(string flag)
    {
        var config = _temp.WriteFile("conf/runtime-config.toml", CacheConfig);

        (await KvAsync("set", "k", "cached", flag, "cache", "--runtime-config-file", config)).AssertSuccess();

        var fromCache = await KvAsync("get", "k", flag, "cache", "--runtime-config-file", config);
        fromCache.AssertSuccess();
        Assert.Equal("cached", fromCache.StdoutText);
        Assert.Equal(1, (await KvAsync("get", "k", "--runtime-config-file", config)).ExitCode); // not in default
        Assert.True(File.Exists(_temp.Combine("conf", "cache.db"))); // path is relative to the config file
    }

    [Fact]
    public async Task Unknown_store_label_exits_2_with_one_line_and_no_stack_trace()
    {
        var config = _temp.WriteFile("runtime-config.toml", CacheConfig);

        var result = await KvAsync("get", "k", "-s", "nope", "--runtime-config-file", config);

        result.AssertError(2, "'nope'", "--store", "cache, default", "[key_value_store.nope]");
    }

    [Fact]
    public async Task Unknown_store_label_without_a_runtime_config_exits_2()
    {
        var result = await KvAsync("set", "k", "v", "--store", "cache");

        result.AssertError(2, "'cache'", "(defined: default)");
        Assert.False(Directory.Exists(_temp.Combine(".spin")), "a rejected command must not create the default store");
    }

    [Theory]
    [InlineData("stat_dir = \".spin\"\n", "stat_dir")]
    [InlineData("[key_value_store.cache]\ntype = \"mongo\"\n", "key_value_store.cache.type")]
    [InlineData("[key_value_store.cache]\ntype = \"spin\"\npth = \"x.db\"\n", "key_value_store.cache.pth")]
    [InlineData("[key_value_store.cache\ntype = \"spin\"\n", "not valid TOML")]
    public async Task Bad_runtime_config_exits_2_naming_the_file(string toml, string fragment)
    {
        var config = _temp.WriteFile("runtime-config.toml", toml);

        var result = await KvAsync("get", "k", "--runtime-config-file", config);

        result.AssertError(2, config, fragment);
    }

    [Fact]
    public async Task Missing_runtime_config_file_exits_2_naming_it()
    {
        var config = _temp.Combine("no-such-config.toml");

        var result = await KvAsync("get", "k", "--runtime-config-file", config);

        result.AssertError(2, config, "not found");
    }

    [Fact]
    public async Task Invalid_toml_diagnostic_is_printed_once()
    {
        var config = _temp.WriteFile("runtime-config.toml", "state_dir = \"\\q\"\n");

        var result = await KvAsync("get", "k", "--runtime-config-file", config);

        result.AssertError(2, config, "not valid TOML");
        const string Diagnostic = "Unexpected escape character";
        var first = result.Stderr.IndexOf(Diagnostic, StringComparison.Ordinal);
        Assert.True(first >= 0, result.Stderr);
        Assert.Equal(-1, result.Stderr.IndexOf(Diagnostic, first + 1, StringComparison.Ordinal));
        Assert.Contains(config + "(1,", result.Stderr, StringComparison.Ordinal); // file and position
    }

    [Fact]
    public async Task Missing_from_path_exits_2_naming_it()
    {
        var missing = _temp.Combine("no-such-app");

        var result = await CliResult.RunAsync([], "kv", "get", "k", "-f", missing);

        result.AssertError(2, "--from", missing);
    }

    [Fact]
    public async Task Get_without_a_key_is_a_usage_error()
    {
        var result = await KvAsync("get");

        result.AssertError(2, "--help");
    }

    [Fact]
    public async Task Set_with_both_value_and_file_is_a_usage_error_and_writes_nothing()
    {
        var file = _temp.WriteFile("value.txt", "from-file");

        var result = await KvAsync("set", "k", "from-arg", "--file", file);

        result.AssertError(2, "--file");
        Assert.Equal(1, (await KvAsync("exists", "k")).ExitCode);
    }

    [Fact]
    public async Task Set_without_a_value_is_a_usage_error()
    {
        var result = await KvAsync("set", "k");

        result.AssertError(2, "VALUE", "--file");
    }

    [Fact]
    public async Task Set_from_a_missing_file_exits_2_naming_it()
    {
        var missing = _temp.Combine("no-such-value.bin");

        var result = await KvAsync("set", "k", "--file", missing);

        result.AssertError(2, "--file", missing);
    }

    [Fact]
    public async Task Unknown_option_is_a_usage_error()
    {
        var result = await KvAsync("get", "k", "--no-such-option");

        result.AssertError(2, "--no-such-option");
    }

    [Fact]
    public async Task Kv_without_a_subcommand_is_a_usage_error()
    {
        var result = await CliResult.RunAsync([], "kv", "-f", _temp.Path);

        result.AssertError(2, "--help");
    }

    [Fact]
    public async Task Non_positive_max_value_bytes_is_a_usage_error()
    {
        var result = await KvAsync("get", "k", "--max-value-bytes", "0");

        result.AssertError(2, "--max-value-bytes");
    }

    [Fact]
    public async Task State_dir_flag_puts_the_default_database_there()
    {
        var app = Directory.CreateDirectory(_temp.Combine("app")).FullName;
        var state = _temp.Combine("state");

        (await CliResult.RunAsync([], "kv", "set", "k", "v", "-f", app, "--state-dir", state)).AssertSuccess();

        Assert.True(File.Exists(Path.Combine(state, "sqlite_key_value.db")));
        Assert.False(Directory.Exists(Path.Combine(app, ".spin")));
        var get = await CliResult.RunAsync([], "kv", "get", "k", "-f", app, "--state-dir", state);
        Assert.Equal("v", get.StdoutText);
    }

    [Fact]
    public async Task Runtime_config_state_dir_is_relative_to_the_config_file()
    {
        var config = _temp.WriteFile("conf/runtime-config.toml", "state_dir = \"state\"\n");

        (await KvAsync("set", "k", "v", "--runtime-config-file", config)).AssertSuccess();

        Assert.True(File.Exists(_temp.Combine("conf", "state", "sqlite_key_value.db")));
        Assert.False(Directory.Exists(_temp.Combine(".spin")));
    }

    [Fact]
    public async Task Empty_state_dir_keeps_the_default_store_in_memory_and_refuses_writes_that_would_vanish()
    {
        // Issue #6: the write used to succeed and vanish at exit.
        (await KvAsync("set", "k", "v", "--state-dir", "")).AssertError(2, "'default'", "temporary in-memory store", "lost when this command exits", "--state-dir DIR");
        (await KvAsync("delete", "k", "--state-dir", "")).AssertError(2, "temporary in-memory store");

        // Reads work on the (empty) in-memory store, and nothing was written to the app folder.
        Assert.Equal(1, (await KvAsync("exists", "k", "--state-dir", "")).ExitCode);
        Assert.False(Directory.Exists(_temp.Combine(".spin")));
    }

    [Fact]
    public async Task State_dir_that_is_a_file_exits_2_without_a_stack_trace()
    {
        var file = _temp.WriteFile("not-a-folder", "x");

        var result = await KvAsync("get", "k", "--state-dir", file);

        result.AssertError(2, "--state-dir", file, "is not a folder");
    }

    [Fact]
    public async Task Manifest_with_an_undefined_label_exits_2_naming_it()
    {
        WriteManifest("""["default", "analytics"]""");

        var result = await KvAsync("get", "k");

        result.AssertError(2, "'analytics'", "component 'api'", "spin.toml");
    }

    [Fact]
    public async Task Manifest_label_defined_by_the_runtime_config_is_usable()
    {
        WriteManifest("""["default", "analytics"]""");
        var config = _temp.WriteFile("runtime-config.toml", """
            [key_value_store.analytics]
            type = "spin"
            path = "analytics.db"
            """);

        (await KvAsync("set", "k", "v", "-s", "analytics", "--runtime-config-file", config)).AssertSuccess();

        Assert.Equal("v", (await KvAsync("get", "k", "-s", "analytics", "--runtime-config-file", config)).StdoutText);
    }

    [Fact]
    public async Task From_may_name_the_manifest_file_itself()
    {
        var manifest = WriteManifest("""["default"]""");

        (await CliResult.RunAsync([], "kv", "set", "k", "v", "-f", manifest)).AssertSuccess();

        Assert.True(File.Exists(_temp.Combine(".spin", "sqlite_key_value.db")));
    }

    [Fact]
    public async Task Invalid_manifest_exits_2_naming_it()
    {
        var manifest = _temp.WriteFile("spin.toml", "[application]\nname = \"x\"\n");

        var result = await KvAsync("get", "k");

        result.AssertError(2, manifest, "spin_manifest_version");
    }

    // Issue #7: the CLI serves azure_cosmos; a Spin config without key (Azure AD) names the file, the table and the fix.
    [Fact]
    public async Task Cosmos_store_without_key_names_the_file_and_says_to_add_the_key()
    {
        var config = _temp.WriteFile("runtime-config.toml", """
            [key_value_store.cache]
            type = "azure_cosmos"
            account = "acct"
            database = "db"
            container = "ctr"
            """);

        var result = await KvAsync("get", "k", "-s", "cache", "--runtime-config-file", config);

        result.AssertError(2, config, "key_value_store.cache", "add key = ");
    }

    // Issue #7
    [Fact]
    public async Task Aws_dynamo_store_is_served_and_an_endpoint_that_refuses_exits_3_naming_the_table_and_not_the_secret()
    {
        // Port 1 on loopback refuses at once; the placeholder type would refuse the endpoint option (exit 2) instead.
        var config = _temp.WriteFile("runtime-config.toml", """
            [key_value_store.cache]
            type = "aws_dynamo"
            region = "us-east-1"
            table = "spindle-kv"
            access_key = "AKIDEXAMPLE"
            secret_key = "hunter2-secret"
            endpoint = "http://127.0.0.1:1"
            """);

        var result = await KvAsync("get", "k", "-s", "cache", "--runtime-config-file", config);

        result.AssertError(3, "DynamoDB get failed for store 'cache'", "DynamoDB table \"spindle-kv\" at http://127.0.0.1:1");
        Assert.DoesNotContain("hunter2", result.Stderr, StringComparison.Ordinal);
    }

    private string WriteManifest(string stores) => _temp.WriteFile("spin.toml", $"""
        spin_manifest_version = 2

        [application]
        name = "app"

        [[trigger.http]]
        route = "/..."
        component = "api"

        [component.api]
        source = "api.wasm"
        key_value_stores = {stores}
        """);

    private Task<CliResult> KvAsync(params string[] args) => CliResult.RunAsync([], ["kv", .. args, "-f", _temp.Path]);
}
