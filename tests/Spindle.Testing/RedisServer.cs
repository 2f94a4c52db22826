using System.Diagnostics;
using StackExchange.Redis;
using Xunit;

namespace Spindle.Testing;

/// <summary>
/// A throw-away <c>redis-server</c> on a free port, in a temp folder: without persistence by default, or durable
/// (<c>--appendonly yes --appendfsync always</c>: every acknowledged write is in the fsynced append-only file). Test
/// projects use it as an assembly fixture shared by every test class; outage tests start their own, because they stop it.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(15);

    private readonly TempDirectory _folder = new();
    private readonly bool _durable;
    private Process? _process;
    private string? _missing;
    private string? _binary;

    /// <summary>A server without persistence (the assembly fixture's constructor).</summary>
    public RedisServer()
    {
    }

    private RedisServer(bool durable) => _durable = durable;

    /// <summary>The port it listens on (loopback).</summary>
    public int Port { get; private set; }

    /// <summary>Its URL in the runtime-config <c>url</c> form.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>The OS process, for outage tests that stop it.</summary>
    public Process Process => _process ?? throw new InvalidOperationException("not started");

    /// <summary>Starts a server for one test; skips (or fails with CI=true) when redis-server is not installed.</summary>
    /// <param name="durable">Keep every acknowledged write on disk (append-only file, fsync before each reply), so a
    /// killed server loads it again in <see cref="StartAgainAsync"/>.</param>
    public static async Task<RedisServer> StartAsync(bool durable = false)
    {
        var server = new RedisServer(durable);
        try
        {
            await server.InitializeAsync();
            server.RequireOrSkip();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
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
        Port = Ports.Free();
        await StartAgainAsync();
    }

    /// <summary>Kills the server (SIGKILL) and starts it again on the same port and folder: without persistence its
    /// data is gone, a durable server loads what it acknowledged.</summary>
    public async Task RestartAsync()
    {
        Kill();
        await StartAgainAsync();
    }

    /// <summary>Kills the server with SIGKILL, as a crash would (no shutdown code runs), and waits until it is gone.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Sends a signal to the server, for example <c>STOP</c> so it stops answering, or <c>CONT</c>.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Starts the server (again, after <see cref="Kill"/>) on the same port and folder, and waits until it answers.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(_binary!)
        {
            WorkingDirectory = _folder.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = _durable ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
        foreach (var argument in (string[])["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", .. persistence, "--dir", _folder.Path])
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
        if (_missing is not null)
        {
            Prerequisites.Missing(_missing);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string? FindBinary() => Prerequisites.FindOnPath("redis-server", "/usr/bin", "/usr/sbin");
}
