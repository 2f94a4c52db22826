using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>Runs the classes that set process environment variables alone, so no other test sees them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironment
{
    public const string Name = "process environment";
}

/// <summary><c>RUNTIME_CONFIG_FILE</c> is the default of <c>--runtime-config-file</c>; each test restores it.</summary>
[Collection(ProcessEnvironment.Name)]
public sealed class RuntimeConfigEnvironmentTests : IDisposable
{
    private const string Variable = "RUNTIME_CONFIG_FILE";

    private readonly TempDirectory _temp = new();
    private readonly string? _saved = Environment.GetEnvironmentVariable(Variable);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(Variable, _saved);
        _temp.Dispose();
    }

    [Fact]
    public async Task Runtime_config_file_defaults_to_the_environment_variable()
    {
        var config = _temp.WriteFile("conf/runtime-config.toml", "[key_value_store.cache]\ntype = \"spin\"\npath = \"cache.db\"\n");
        Environment.SetEnvironmentVariable(Variable, config);

        (await CliResult.RunAsync([], "kv", "set", "k", "v", "-s", "cache", "-f", _temp.Path)).AssertSuccess();

        Assert.True(File.Exists(_temp.Combine("conf", "cache.db")));
    }

    [Fact]
    public async Task Runtime_config_file_flag_wins_over_the_environment_variable()
    {
        var broken = _temp.WriteFile("broken.toml", "not_a_runtime_config_key = 1\n");
        var config = _temp.WriteFile("runtime-config.toml", "[key_value_store.cache]\ntype = \"memory\"\n");
        Environment.SetEnvironmentVariable(Variable, broken);

        var result = await CliResult.RunAsync([], "kv", "keys", "-s", "cache", "-f", _temp.Path, "--runtime-config-file", config);

        result.AssertSuccess();
    }

    [Fact]
    public async Task Bad_runtime_config_from_the_environment_variable_exits_2_naming_the_file()
    {
        var broken = _temp.WriteFile("broken.toml", "not_a_runtime_config_key = 1\n");
        Environment.SetEnvironmentVariable(Variable, broken);

        var result = await CliResult.RunAsync([], "kv", "get", "k", "-f", _temp.Path);

        result.AssertError(2, broken, "not_a_runtime_config_key");
    }
}
