using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

[assembly: AssemblyFixture(typeof(Spindle.Redis.Tests.RedisServer))]

namespace Spindle.Redis.Tests;

/// <summary>
/// A throw-away <c>redis-server</c> on a free port, without persistence, in a temp folder. The assembly fixture is
/// shared by every test class; the outage tests start their own, because they stop it.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(15);

    private readonly TempDirectory _folder = new();
    private Process? _process;
    private string? _missing;
    private string? _binary;

    /// <summary>The port it listens on (loopback).</summary>
    public int Port { get; private set; }

    /// <summary>Its URL in the runtime-config <c>url</c> form.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>The OS process, for outage tests that stop it.</summary>
    public Process Process => _process ?? throw new InvalidOperationException("not started");

    /// <summary>Starts a server for one test; skips (or fails with CI=true) when redis-server is not installed.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer();
        await server.InitializeAsync();
        server.RequireOrSkip();
        return server;
    }

    public async ValueTask InitializeAsync()
    {
        var binary = FindBinary();
        if (binary is null)
        {
            _missing = "redis-server is not installed; install it with: apt-get install -y redis-server";
            return;
        }

        _binary = binary;
        Port = FreePort();
        await StartProcessAsync();
    }

    /// <summary>Kills the server (no persistence: its data is gone) and starts a new one on the same port.</summary>
    public async Task RestartAsync()
    {
        Kill();
        await StartProcessAsync();
    }

    /// <summary>Sends a signal to the server, for example <c>STOP</c> so it stops answering, or <c>CONT</c>.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(_binary!)
        {
            WorkingDirectory = _folder.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _folder.Path })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilAnsweringAsync();
    }

    /// <summary>Polls PING until the server answers, under a deadline.</summary>
    public async Task WaitUntilAnsweringAsync()
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < StartDeadline)
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} on port {Port}");
            }

            try
            {
                using var connection = await ConnectRawAsync();
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException ex)
            {
                last = ex;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"redis-server on port {Port} did not answer PING within {StartDeadline}", last);
    }

    /// <summary>A plain client connection, for checking what is stored in Redis.</summary>
    public Task<ConnectionMultiplexer> ConnectRawAsync() =>
        ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { { "127.0.0.1", Port } }, AbortOnConnectFail = true, ConnectTimeout = 2000, AllowAdmin = true });

    /// <summary>Skips the calling test when redis-server is missing; with CI=true fails instead.</summary>
    public void RequireOrSkip()
    {
        if (_missing is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(_missing);
        }

        Assert.Skip(_missing);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _process = null;
    }

    private static string? FindBinary()
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/sbin"))
        {
            var candidate = Path.Combine(folder, "redis-server");
            if (folder.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
