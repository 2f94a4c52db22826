using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>
/// Issue #6: while another process holds the default store's write lock (<c>sqlite3 db "BEGIN IMMEDIATE; ..."</c>),
/// <c>spindle kv</c> reads and <c>spindle up</c> work at once, and a write is a store error (exit 3).
/// </summary>
public sealed class LockedStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _app = RepoPaths.Combine("examples", "kv-counter");

    private string State => _temp.Combine("state");

    private string DbPath => Path.Combine(State, "sqlite_key_value.db");

    [Fact]
    public async Task Kv_get_and_keys_succeed_and_kv_set_exits_3_while_another_process_holds_the_write_lock()
    {
        // Issue #6
        (await KvAsync("set", "motd", "hello")).AssertSuccess();
        using var holder = await SqliteLockHolder.StartAsync(DbPath, "BEGIN IMMEDIATE", TestContext.Current.CancellationToken, "UPDATE spin_key_value SET value = x'00'");

        var started = Stopwatch.StartNew();
        var get = await KvAsync("get", "motd");
        var keys = await KvAsync("keys");
        var elapsed = started.Elapsed;
        get.AssertSuccess();
        Assert.Equal("hello", get.StdoutText);
        keys.AssertSuccess();
        Assert.Equal("motd\n", keys.StdoutText);
        Assert.True(elapsed < Spindle.Sqlite.SqliteDatabase.BusyTimeout, $"kv get and kv keys took {elapsed.TotalSeconds:0.0} s: they waited for the lock");

        var set = await KvAsync("set", "motd", "changed");
        set.AssertError(3, "locked by another process");
    }

    [Fact]
    public async Task Up_starts_and_serves_reads_while_another_process_holds_the_write_lock()
    {
        // Issue #6
        (await KvAsync("set", "motd", "hello")).AssertSuccess();
        using var holder = await SqliteLockHolder.StartAsync(DbPath, "BEGIN IMMEDIATE", TestContext.Current.CancellationToken, "UPDATE spin_key_value SET value = x'00'");

        var port = FreePort();
        using var stop = new CancellationTokenSource();
        using var output = new MemoryStream();
        using var error = new StringWriter();
        var run = Task.Run(() => SpindleCli.RunAsync(["up", "-f", _app, "--state-dir", State, "--listen", $"127.0.0.1:{port}"], new CliConsole(Stream.Null, output, error), stop.Token));
        try
        {
            await WaitForPortAsync(port, run, error);
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal("hello", await client.GetStringAsync($"http://127.0.0.1:{port}/motd", TestContext.Current.CancellationToken));
        }
        finally
        {
            await stop.CancelAsync();
            var exitCode = await run;
            Assert.True(exitCode == 0, $"spindle up exited {exitCode}: {error}");
        }
    }

    public void Dispose() => _temp.Dispose();

    private Task<CliResult> KvAsync(params string[] args) => CliResult.RunAsync([], ["kv", .. args, "-f", _app, "--state-dir", State]);

    private static Task WaitForPortAsync(int port, Task<int> run, StringWriter error) =>
        Ports.WaitUntilListeningAsync(port, async () => run.IsCompleted ? $"exit code {await run}: {error}" : null);

    private static int FreePort() => Ports.Free();
}
