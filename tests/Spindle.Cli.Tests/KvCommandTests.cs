using System.Text;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>The <c>spindle kv</c> subcommands against the default store of an app folder.</summary>
public sealed class KvCommandTests : IDisposable
{
    // Not UTF-8: a lone continuation byte, an overlong NUL, a truncated sequence, and bytes text layers rewrite.
    private static readonly byte[] BinaryValue = [0x00, 0xFF, 0xFE, 0x80, 0xC0, 0x80, 0xE2, 0x82, 0x0D, 0x0A, 0x1A, 0xEF, 0xBB, 0xBF];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Set_then_get_round_trips_text_exactly()
    {
        const string value = "héllo wörld ✓ 😀";

        (await KvAsync("set", "greeting", value)).AssertSuccess();
        var get = await KvAsync("get", "greeting");

        get.AssertSuccess();
        Assert.Equal(Encoding.UTF8.GetBytes(value), get.Stdout); // no BOM, no trailing newline
    }

    [Fact]
    public async Task Set_from_file_round_trips_non_utf8_bytes()
    {
        var file = _temp.Combine("value.bin");
        await File.WriteAllBytesAsync(file, BinaryValue, TestContext.Current.CancellationToken);

        (await KvAsync("set", "blob", "--file", file)).AssertSuccess();
        var get = await KvAsync("get", "blob");

        get.AssertSuccess();
        Assert.Equal(BinaryValue, get.Stdout);
    }

    [Fact]
    public async Task Set_from_stdin_round_trips_non_utf8_bytes()
    {
        (await CliResult.RunAsync(BinaryValue, "kv", "set", "blob", "--file", "-", "-f", _temp.Path)).AssertSuccess();
        var get = await KvAsync("get", "blob");

        get.AssertSuccess();
        Assert.Equal(BinaryValue, get.Stdout);
    }

    [Fact]
    public async Task Set_replaces_an_existing_value()
    {
        (await KvAsync("set", "k", "first")).AssertSuccess();
        (await KvAsync("set", "k", "2nd")).AssertSuccess();

        Assert.Equal("2nd", (await KvAsync("get", "k")).StdoutText);
    }

    [Fact]
    public async Task Empty_value_round_trips()
    {
        (await KvAsync("set", "empty", "")).AssertSuccess();

        var get = await KvAsync("get", "empty");

        get.AssertSuccess();
        Assert.Empty(get.Stdout);
    }

    [Fact]
    public async Task Get_missing_key_exits_1_naming_the_key()
    {
        var get = await KvAsync("get", "missing");

        get.AssertError(1, "'missing'", "'default'");
    }

    [Fact]
    public async Task Exists_prints_true_and_exits_0_when_the_key_exists()
    {
        (await KvAsync("set", "k", "v")).AssertSuccess();

        var exists = await KvAsync("exists", "k");

        exists.AssertSuccess();
        Assert.Equal("true\n", exists.StdoutText);
    }

    [Fact]
    public async Task Exists_prints_false_and_exits_1_when_the_key_is_missing()
    {
        (await KvAsync("set", "other", "v")).AssertSuccess();

        var exists = await KvAsync("exists", "k");

        Assert.Equal(1, exists.ExitCode);
        Assert.Equal("false\n", exists.StdoutText);
        Assert.Equal(string.Empty, exists.Stderr);
    }

    [Fact]
    public async Task Delete_removes_the_key()
    {
        (await KvAsync("set", "k", "v")).AssertSuccess();
        (await KvAsync("set", "keep", "v")).AssertSuccess();

        (await KvAsync("delete", "k")).AssertSuccess();

        Assert.Equal(1, (await KvAsync("get", "k")).ExitCode);
        Assert.Equal(0, (await KvAsync("get", "keep")).ExitCode);
    }

    [Fact]
    public async Task Delete_of_a_missing_key_succeeds()
    {
        (await KvAsync("delete", "never-set")).AssertSuccess();
    }

    [Fact]
    public async Task Keys_with_prefix_prints_matching_keys_sorted_one_per_line()
    {
        foreach (var key in new[] { "user:b", "order:1", "user:a", "user", "users:x", "user:c" })
        {
            (await KvAsync("set", key, "v")).AssertSuccess();
        }

        var keys = await KvAsync("keys", "--prefix", "user:");

        keys.AssertSuccess();
        Assert.Equal("user:a\nuser:b\nuser:c\n", keys.StdoutText);
    }

    [Fact]
    public async Task Keys_without_prefix_prints_every_key_in_utf8_byte_order()
    {
        // UTF-16 order would put the emoji (a surrogate pair, D83D...) before U+FF5E; UTF-8 order puts it after.
        foreach (var key in new[] { "\uFF5E", "b", "😀", "a", "é" })
        {
            (await KvAsync("set", key, "v")).AssertSuccess();
        }

        var keys = await KvAsync("keys");

        keys.AssertSuccess();
        Assert.Equal("a\nb\né\n\uFF5E\n😀\n", keys.StdoutText);
    }

    [Fact]
    public async Task Keys_of_an_empty_store_prints_nothing()
    {
        var keys = await KvAsync("keys");

        keys.AssertSuccess();
        Assert.Empty(keys.Stdout);
    }

    [Fact]
    public async Task Default_store_is_a_file_in_dot_spin_of_the_app_folder()
    {
        (await KvAsync("set", "k", "v")).AssertSuccess();

        Assert.True(File.Exists(_temp.Combine(".spin", "sqlite_key_value.db")));
    }

    [Fact]
    public async Task Value_over_max_value_bytes_exits_3_and_writes_nothing()
    {
        (await KvAsync("set", "small", "1234", "--max-value-bytes", "4")).AssertSuccess();

        var set = await KvAsync("set", "big", "12345", "--max-value-bytes", "4");

        set.AssertError(3);
        Assert.Equal(1, (await KvAsync("exists", "big")).ExitCode);
        Assert.Equal("1234", (await KvAsync("get", "small")).StdoutText);
    }

    [Fact]
    public async Task Value_over_max_value_bytes_does_not_replace_the_old_value()
    {
        (await KvAsync("set", "k", "old")).AssertSuccess();

        (await KvAsync("set", "k", "much too long", "--max-value-bytes", "4")).AssertError(3);

        Assert.Equal("old", (await KvAsync("get", "k")).StdoutText);
    }

    [Fact]
    public async Task Key_over_max_key_bytes_exits_3()
    {
        var set = await KvAsync("set", "éé", "v", "--max-key-bytes", "3"); // 4 bytes of UTF-8

        set.AssertError(3);
        Assert.Empty((await KvAsync("keys")).Stdout);
    }

    private Task<CliResult> KvAsync(params string[] args) => CliResult.RunAsync([], ["kv", .. args, "-f", _temp.Path]);
}
