using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>Kills a real <c>spindle up</c> process under write load and checks that every acknowledged write survived.</summary>
public sealed class UpCrashTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    // Issue #6: a fixed schedule. Round r kills the server once KillAfter[r] writes of that round were acknowledged;
    // the restarted server checks every write acknowledged so far, then takes the next round's load.
    private static readonly int[] KillAfter = [50, 200];

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Writes_acknowledged_before_a_kill_are_there_after_a_restart()
    {
        var spindle = Path.Combine(AppContext.BaseDirectory, "spindle.dll");
        var app = RepoPaths.Combine("examples", "kv-counter");
        var state = _temp.Combine("state");
        var port = FreePort();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();

        var server = Start(spindle, app, state, port);
        try
        {
            await WaitForPortAsync(port, server);
            for (var round = 0; round < KillAfter.Length; round++)
            {
                // Four writers PUT distinct keys; a key counts as acknowledged only once its 2xx arrived.
                var roundAcks = 0;
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        var key = $"r{round}-w{w}-{i}";
                        try
                        {
                            using var response = await client.PutAsync($"http://127.0.0.1:{port}/{key}", new StringContent(key), stop.Token);
                            if (response.IsSuccessStatusCode)
                            {
                                acknowledged.Add(key);
                                Interlocked.Increment(ref roundAcks);
                            }
                        }
                        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                        {
                            return; // the server is gone
                        }
                    }
                })).ToArray();

                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (Volatile.Read(ref roundAcks) < KillAfter[round])
                {
                    Assert.False(server.HasExited, $"round {round}: spindle up exited with {(server.HasExited ? server.ExitCode : 0)} under load");
                    Assert.True(
                        clock.Elapsed < Deadline,
                        $"round {round}: only {Volatile.Read(ref roundAcks)} of {KillAfter[round]} writes were acknowledged within {Deadline.TotalSeconds:0} s");
                    await Task.Delay(1, TestContext.Current.CancellationToken);
                }

                server.Kill(entireProcessTree: true); // SIGKILL mid-load: no shutdown code runs
                await WaitAsync(server.WaitForExitAsync(TestContext.Current.CancellationToken), $"round {round}: the killed server did not exit");
                await stop.CancelAsync();
                await WaitAsync(Task.WhenAll(writers), $"round {round}: the writers did not stop");
                server.Dispose();

                server = Start(spindle, app, state, port);
                await WaitForPortAsync(port, server);
                foreach (var key in acknowledged)
                {
                    Assert.Equal(key, await client.GetStringAsync($"http://127.0.0.1:{port}/{key}", TestContext.Current.CancellationToken));
                }
            }
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await WaitAsync(server.WaitForExitAsync(TestContext.Current.CancellationToken), "the last server did not exit");
            }

            server.Dispose();
        }
    }

    public void Dispose() => _temp.Dispose();

    private static Process Start(string spindle, string app, string state, int port) =>
        Process.Start(new ProcessStartInfo("dotnet", [spindle, "up", "-f", app, "--state-dir", state, "--listen", $"127.0.0.1:{port}"])
        {
            // Its log goes to this test's output; only stderr (start-up errors) is captured.
            RedirectStandardError = true,
        })!;

    private static Task WaitForPortAsync(int port, Process server) =>
        Ports.WaitUntilListeningAsync(port, async () => server.HasExited
            ? $"exit code {server.ExitCode}: {await server.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken)}"
            : null);

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

    private static int FreePort() => Ports.Free();
}
