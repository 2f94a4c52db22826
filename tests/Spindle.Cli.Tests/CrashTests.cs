using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>Kills real <c>spindle</c> processes mid-write and checks what survived.</summary>
public sealed class CrashTests : IDisposable
{
    private const int ValueBytes = 256 * 1024; // big enough that the commit takes a while

    // Issue #6: a fixed schedule. Round r lets KillAfter[r] writes be acknowledged, then kills the next writer as
    // soon as its commit reaches the WAL. Each round continues on the file the previous kill left.
    private static readonly int[] KillAfter = [1, 3, 5];

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Writes_acknowledged_before_a_kill_survive_and_the_file_stays_consistent()
    {
        var spindle = Path.Combine(AppContext.BaseDirectory, "spindle.dll");
        var value = _temp.WriteFile("value.bin", new string('v', ValueBytes));
        var database = _temp.Combine(".spin", "sqlite_key_value.db");
        var wal = database + "-wal";
        var acknowledged = new List<string>();
        var inFlight = new List<string>();

        for (var round = 0; round < KillAfter.Length; round++)
        {
            // Each iteration is one process; its exit code 0 is the acknowledgement, echoed only after it exits.
            var script = $"for i in $(seq 1 1000); do dotnet '{spindle}' kv set r{round}-$i --file '{value}' -f '{_temp.Path}' || exit 1; echo r{round}-$i; done";
            var start = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var writer = Process.Start(start)!;
            try
            {
                var lines = Channel.CreateUnbounded<string>();
                var pump = Task.Run(async () =>
                {
                    while (await writer.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
                    {
                        lines.Writer.TryWrite(line); // unbounded: always accepted
                    }

                    lines.Writer.Complete();
                }, TestContext.Current.CancellationToken);

                var roundAcks = 0;
                var clock = Stopwatch.StartNew();
                while (roundAcks < KillAfter[round])
                {
                    acknowledged.Add(await NextLineAsync(lines.Reader, writer, clock, $"round {round}: acknowledgement {roundAcks + 1} of {KillAfter[round]}"));
                    roundAcks++;
                }

                // Kill the loop and the spindle process writing the next key as soon as that write's commit changes the
                // WAL. If the write finishes (and the WAL is checkpointed away) between two looks, its acknowledgement
                // arrives instead and the following write is the one killed.
                var before = WalState(wal);
                while (WalState(wal) is not { Length: > 0 } now || now == before)
                {
                    if (lines.Reader.TryRead(out var late))
                    {
                        acknowledged.Add(late);
                        roundAcks++;
                        before = WalState(wal);
                        continue;
                    }

                    if (writer.HasExited)
                    {
                        Assert.Fail($"round {round}: the write loop exited before the kill: {await writer.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken)}");
                    }

                    Assert.True(clock.Elapsed < Deadline, $"round {round}: no write reached the WAL within {Deadline.TotalSeconds:0} s");
                    await Task.Delay(1, TestContext.Current.CancellationToken);
                }

                inFlight.Add($"r{round}-{roundAcks + 1}");
                writer.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
                await WaitAsync(writer.WaitForExitAsync(TestContext.Current.CancellationToken), $"round {round}: the killed write loop did not exit");
                await WaitAsync(pump, $"round {round}: the killed write loop's output did not end");
                while (lines.Reader.TryRead(out var last))
                {
                    acknowledged.Add(last); // echoed just before the kill
                }
            }
            finally
            {
                if (!writer.HasExited)
                {
                    writer.Kill(entireProcessTree: true); // a failed round leaves no writer behind
                }
            }

            await AssertSurvivedAsync(round, database, acknowledged, inFlight);
        }
    }

    public void Dispose() => _temp.Dispose();

    private async Task AssertSurvivedAsync(int round, string database, List<string> acknowledged, List<string> inFlight)
    {
        var keys = await CliResult.RunAsync([], "kv", "keys", "-f", _temp.Path);
        keys.AssertSuccess();
        var stored = keys.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(acknowledged, key => Assert.Contains(key, stored));
        Assert.All(stored, key => Assert.True(acknowledged.Contains(key) || inFlight.Contains(key), $"round {round}: '{key}' was never written"));
        foreach (var key in stored)
        {
            var get = await CliResult.RunAsync([], "kv", "get", key, "-f", _temp.Path);
            Assert.True(get.Stdout.Length == ValueBytes, $"round {round}: '{key}' holds {get.Stdout.Length} bytes, not {ValueBytes}: a torn value");
        }

        using var connection = new SqliteConnection($"Data Source={database};Pooling=false");
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", check.ExecuteScalar());
    }

    private static (long Length, DateTime Written)? WalState(string wal)
    {
        var file = new FileInfo(wal);
        return file.Exists ? (file.Length, file.LastWriteTimeUtc) : null;
    }

    private static async Task<string> NextLineAsync(ChannelReader<string> lines, Process writer, Stopwatch clock, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Deadline - clock.Elapsed);
        try
        {
            if (await lines.WaitToReadAsync(timeout.Token) && lines.TryRead(out var line))
            {
                return line;
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            writer.Kill(entireProcessTree: true);
            Assert.Fail($"{what} did not arrive within {Deadline.TotalSeconds:0} s");
        }

        Assert.Fail($"{what}: the write loop ended early (exit code {(writer.HasExited ? writer.ExitCode : -1)}): {await writer.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken)}");
        return null!;
    }

    private static async Task WaitAsync(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Deadline, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} within {Deadline.TotalSeconds:0} s");
        }
    }
}
