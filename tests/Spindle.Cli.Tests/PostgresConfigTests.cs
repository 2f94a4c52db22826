using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>The CLI lists the <c>postgres</c> provider, so its options are bound and checked like every type's.</summary>
public sealed class PostgresConfigTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Postgres_store_without_connection_string_names_the_file_and_the_key()
    {
        var config = _temp.WriteFile("runtime-config.toml", "[key_value_store.pg]\ntype = \"postgres\"\n");

        var result = await CliResult.RunAsync([], "kv", "keys", "-s", "pg", "-f", _temp.Path, "--runtime-config-file", config);

        result.AssertError(2, config, "key_value_store.pg.connection_string");
    }

    [Fact]
    public async Task Postgres_store_with_a_table_that_is_not_a_plain_name_is_refused()
    {
        var config = _temp.WriteFile(
            "runtime-config.toml",
            "[key_value_store.pg]\ntype = \"postgres\"\nconnection_string = \"Host=localhost;Password=hunter2\"\ntable = \"x; DROP TABLE y\"\n");

        var result = await CliResult.RunAsync([], "kv", "keys", "-s", "pg", "-f", _temp.Path, "--runtime-config-file", config);

        result.AssertError(2, config, "key_value_store.pg", "letters, digits and underscores");
        Assert.DoesNotContain("hunter2", result.Stderr, StringComparison.Ordinal);
    }
}
