using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>Kills a real <c>spindle up</c> process under write load and checks that every acknowledged write survived.</summary>
public sealed class UpCrashTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Writes_acknowledged_before_a_kill_are_there_after_a_restart()
    {
        var spindle = Path.Combine(AppContext.BaseDirectory, "spindle.dll");
        var app = RepoPaths.Combine("examples", "kv-counter");
        var state = _temp.Combine("state");
        var port = FreePort();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();

        using (var server = Start(spindle, app, state, port))
        {
            await WaitForPortAsync(port, server);

            // Four writers PUT distinct keys; a key counts as acknowledged only once its 2xx arrived.
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var key = $"w{w}-{i}";
                    try
                    {
                        using var response = await client.PutAsync($"http://127.0.0.1:{port}/{key}", new StringContent(key), stop.Token);
                        if (response.IsSuccessStatusCode)
                        {
                            acknowledged.Add(key);
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToArray();

            while (acknowledged.Count < 200)
            {
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            server.Kill(entireProcessTree: true); // SIGKILL mid-load: no shutdown code runs
            await server.WaitForExitAsync(TestContext.Current.CancellationToken);
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        using (var again = Start(spindle, app, state, port))
        {
            await WaitForPortAsync(port, again);
            foreach (var key in acknowledged)
            {
                Assert.Equal(key, await client.GetStringAsync($"http://127.0.0.1:{port}/{key}", TestContext.Current.CancellationToken));
            }

            again.Kill(entireProcessTree: true);
            await again.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    public void Dispose() => _temp.Dispose();

    private static Process Start(string spindle, string app, string state, int port) =>
        Process.Start(new ProcessStartInfo("dotnet", [spindle, "up", "-f", app, "--state-dir", state, "--listen", $"127.0.0.1:{port}"])
        {
            // Its log goes to this test's output; only stderr (start-up errors) is captured.
            RedirectStandardError = true,
        })!;

    private static async Task WaitForPortAsync(int port, Process server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"spindle up exited with {server.ExitCode}: {await server.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken)}");
            }

            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        throw new TimeoutException("spindle up did not start listening within 60 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
