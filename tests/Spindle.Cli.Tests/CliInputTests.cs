using System.Diagnostics;
using System.Text;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>Issue #6: no input crashes the CLI; every bad flag or argument is one line naming it, exit 2.</summary>
public sealed class CliInputTests : IDisposable
{
    private static readonly string KvCounter = Path.Combine(RepoPaths.Root, "examples", "kv-counter");
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string[], string> OutOfRangeOptions => new()
    {
        { ["up", "--listen", "8.8.8.8:80"], "--listen" },
        { ["up", "--listen", "127.0.0.1:65536"], "--listen" },
        { ["up", "--listen", "127.0.0.1:-1"], "--listen" },
        { ["up", "--listen", "not-an-address"], "--listen" },
        { ["up", "--listen", "3000"], "--listen" },
        { ["up", "--listen", ""], "--listen" },
        { ["up", "--request-timeout", "1e308"], "--request-timeout" },
        { ["up", "--request-timeout", "0"], "--request-timeout" },
        { ["up", "--request-timeout", "-5"], "--request-timeout" },
        { ["up", "--request-timeout", "NaN"], "--request-timeout" },
        { ["up", "--request-timeout", "Infinity"], "--request-timeout" },
        { ["up", "--request-timeout", "abc"], "--request-timeout" },
        { ["up", "--max-instances", "0"], "--max-instances" },
        { ["up", "--max-instances", "1001"], "--max-instances" },
        { ["up", "--max-instances", "99999999999"], "--max-instances" },
        { ["up", "--max-memory-bytes", "0"], "--max-memory-bytes" },
        { ["up", "--max-memory-bytes", "1000"], "--max-memory-bytes" },
        { ["up", "--max-memory-bytes", "9223372036854775807"], "--max-memory-bytes" },
        { ["up", "--max-open-stores", "0"], "--max-open-stores" },
        { ["up", "--max-open-stores", "2147483647"], "--max-open-stores" },
        { ["up", "--max-key-bytes", "0"], "--max-key-bytes" },
        { ["up", "--max-key-bytes", "-1"], "--max-key-bytes" },
        { ["up", "--max-value-bytes", "0"], "--max-value-bytes" },
        { ["up", "--max-value-bytes", "2147483647"], "--max-value-bytes" },
        { ["up", "--max-request-body-bytes", "-1"], "--max-request-body-bytes" },
        { ["up", "--max-request-body-bytes", "9999999999999"], "--max-request-body-bytes" },
        { ["up", "--key-value", "novalue"], "--key-value" },
        { ["up", "--key-value", "=v"], "--key-value" },
        { ["up", "--state-dir", "/etc/hostname"], "--state-dir" },
        { ["up", "--runtime-config-file", "/"], "--runtime-config-file" },
        { ["up", "--runtime-config-file", "/no/such/file.toml"], "runtime config file not found" },
        { ["up", "--from", "/no/such/app"], "--from" },
        { ["up", "--from", ""], "--from" },
        { ["kv", "get", "k", "--max-key-bytes", "0"], "--max-key-bytes" },
        { ["kv", "get", "k", "--max-value-bytes", "-3"], "--max-value-bytes" },
        { ["kv", "get", "k", "--store", "b@d"], "--store" },
        { ["kv", "get", "k", "--state-dir", "/dev/null"], "--state-dir" },
        { ["kv", "keys", "--null", "--json"], "--null" },
        { ["kv", "set", "k"], "VALUE is missing" },
        { ["kv", "set", "k", "v", "--file", "/dev/null"], "not both" },
        { ["kv", "set", "k", "--file", "/no/such/file"], "--file" },
    };

    [Theory]
    [MemberData(nameof(OutOfRangeOptions))]
    public async Task Every_option_out_of_range_is_one_line_naming_it(string[] args, string fragment)
    {
        string[] all = [.. args, "-f", args[0] == "up" && !args.Contains("--from") ? KvCounter : _temp.Path];
        if (args[0] == "up" && !args.Contains("--state-dir"))
        {
            all = [.. all, "--state-dir", _temp.Combine("state")];
        }

        if (args[0] == "up" && !args.Contains("--listen"))
        {
            all = [.. all, "--listen", "127.0.0.1:0"];
        }

        // A flag that slipped through would start serving: bound the run so the test fails instead of hanging.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var result = await RunAsync(all, timeout.Token);

        Assert.False(timeout.IsCancellationRequested, $"'{string.Join(' ', args)}' was accepted and the command ran until stopped");
        result.AssertError(2, fragment);
        Assert.False(Directory.Exists(_temp.Combine("state")), "a refused start created the state folder");
    }

    // Issue #6: a limit below the module's initial memory blamed the module.
    [Fact]
    public async Task A_memory_limit_below_the_modules_initial_memory_names_the_flag_not_the_module()
    {
        var result = await RunAsync(["up", "-f", KvCounter, "--state-dir", _temp.Combine("state"), "--listen", "127.0.0.1:0", "--max-memory-bytes", "65536"], TestContext.Current.CancellationToken);

        result.AssertError(2, "--max-memory-bytes", "initial memory", "raise the limit");
        Assert.DoesNotContain("not a WebAssembly module", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "'spindle' needs a command: up, kv")]
    [InlineData(new[] { "serve" }, "unknown command 'serve' for 'spindle'; use one of: up, kv")]
    [InlineData(new[] { "kv" }, "'spindle kv' needs a command: get, set, delete, exists, keys")]
    [InlineData(new[] { "kv", "list" }, "unknown command 'list' for 'spindle kv'")]
    [InlineData(new[] { "kv", "get" }, "(see 'spindle kv get --help')")]
    public async Task Usage_errors_name_what_was_typed_and_what_exists(string[] args, string message)
    {
        var result = await CliResult.RunAsync([], args);

        result.AssertError(2, message);
    }

    [Fact]
    public async Task Kv_keys_refuses_to_print_a_key_with_a_line_break_one_per_line_and_offers_null_and_json()
    {
        (await Kv("set", "plain", "1")).AssertSuccess();
        (await Kv("set", "two\nlines", "2")).AssertSuccess();

        // Keys before the one that cannot be printed are already out; the command then stops and says why.
        var lines = await Kv("keys");
        Assert.Equal(2, lines.ExitCode);
        Assert.Equal("plain\n", lines.StdoutText);
        Assert.Contains("a key contains a line break (\"two\\nlines\"), so keys cannot be printed one per line; use --null or --json", lines.Stderr, StringComparison.Ordinal);

        var nul = await Kv("keys", "--null");
        nul.AssertSuccess();
        Assert.Equal("plain\0two\nlines\0", nul.StdoutText);

        var json = await Kv("keys", "--json");
        json.AssertSuccess();
        Assert.Equal("\"plain\"\n\"two\\nlines\"\n", json.StdoutText);
    }

    [Fact]
    public async Task Kv_keys_null_refuses_a_key_holding_a_nul()
    {
        (await Kv("set", "a\0b", "1")).AssertSuccess();

        (await Kv("keys", "--null")).AssertError(2, "NUL", "--json");
        Assert.Equal("\"a\\u0000b\"\n", (await Kv("keys", "--json")).StdoutText);
    }

    [Fact]
    public async Task Kv_set_from_an_endless_file_reads_only_past_the_limit_and_is_refused()
    {
        var result = await Kv("set", "k", "--file", "/dev/zero", "--max-value-bytes", "1000");

        result.AssertError(3, "1000 bytes");
    }

    // Through a real process: .NET decodes argv with replacement, so only the raw bytes show the difference.
    [Fact]
    public async Task Kv_refuses_a_key_that_is_not_utf8_and_keeps_a_value_that_is_not_as_its_bytes()
    {
        var refused = await RunProcessAsync("kv set \"$(printf 'a\\377b')\" v");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("KEY: is not valid UTF-8", refused.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, (await RunProcessAsync("kv set one \"$(printf 'x\\377y')\"")).ExitCode);
        Assert.Equal(0, (await RunProcessAsync("kv set two \"$(printf 'x\\376y')\"")).ExitCode);

        Assert.Equal(new byte[] { (byte)'x', 0xFF, (byte)'y' }, (await Kv("get", "one")).Stdout);
        Assert.Equal(new byte[] { (byte)'x', 0xFE, (byte)'y' }, (await Kv("get", "two")).Stdout);
    }

    [Fact]
    public void Escaped_arguments_round_trip_to_their_bytes()
    {
        byte[][] samples = [[0x61, 0xFF, 0x62], [0xC0, 0x80], [0xE2, 0x82], "héllo 😀"u8.ToArray(), [0xED, 0xA0, 0x80], []];
        foreach (var bytes in samples)
        {
            var text = CommandLineBytes.Escape(bytes);
            Assert.Equal(bytes, CommandLineBytes.ToBytes(text));
            Assert.Equal(System.Text.Unicode.Utf8.IsValid(bytes), CommandLineBytes.IsText(text));
        }
    }

    private Task<CliResult> Kv(params string[] args) => RunAsync(["kv", .. args, "-f", _temp.Path], TestContext.Current.CancellationToken);

    private static async Task<CliResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        using var output = new MemoryStream();
        using var error = new StringWriter();
        var exitCode = await SpindleCli.RunAsync(args, new CliConsole(Stream.Null, output, error), cancellationToken);
        return new CliResult(exitCode, output.ToArray(), error.ToString());
    }

    private async Task<(int ExitCode, string Stderr)> RunProcessAsync(string spindleArgs)
    {
        var spindle = Path.Combine(AppContext.BaseDirectory, "spindle.dll");
        var start = new ProcessStartInfo("/bin/sh", ["-c", $"exec dotnet '{spindle}' {spindleArgs} -f '{_temp.Path}'"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(await stderr)));
    }
}
