using System.Collections.Concurrent;
using System.Diagnostics;

namespace Spindle.Distributed.Tests;

/// <summary>
/// A real <c>spindle up</c> OS process (<c>dotnet spindle.dll up</c> from this test's output) serving
/// tests/wasm/wasi-kv-probe on a free loopback port, with the given runtime config, until disposed (SIGKILL).
/// </summary>
internal sealed class SpindleUp : IAsyncDisposable
{
    private const int KeptLines = 200;

    private static readonly string Probe = RepoPaths.Combine("tests", "wasm", "wasi-kv-probe");

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private SpindleUp(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The loopback port it serves.</summary>
    public int Port { get; }

    /// <summary>Its OS process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the process ended (it never should while a test uses it).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The last lines it printed (standard output and error), for failure messages.</summary>
    public string Log => string.Join('\n', _log);

    /// <summary>Starts the process and returns once it listens.</summary>
    /// <param name="runtimeConfig">The runtime-config file; it must define the probe's labels <c>default</c> and <c>other</c>.</param>
    /// <param name="stateDir">Its state folder (kept out of the repository).</param>
    /// <param name="options">More <c>spindle up</c> options.</param>
    public static async Task<SpindleUp> StartAsync(string runtimeConfig, string stateDir, params string[] options)
    {
        var port = Ports.Free();
        var spindle = Path.Combine(AppContext.BaseDirectory, "spindle.dll");
        string[] args = [spindle, "up", "-f", Probe, "--runtime-config-file", runtimeConfig, "--state-dir", stateDir, "--listen", $"127.0.0.1:{port}", .. options];
        var start = new ProcessStartInfo("dotnet", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var up = new SpindleUp(Process.Start(start)!, port);
        up._process.OutputDataReceived += (_, e) => up.Keep(e.Data);
        up._process.ErrorDataReceived += (_, e) => up.Keep(e.Data);
        up._process.BeginOutputReadLine();
        up._process.BeginErrorReadLine();
        try
        {
            await Ports.WaitUntilListeningAsync(port, () => Task.FromResult(up.HasExited ? $"exit code {up._process.ExitCode}: {up.Log}" : null));
        }
        catch
        {
            await up.DisposeAsync();
            throw;
        }

        return up;
    }

    /// <summary>A URL on this process.</summary>
    public Uri Url(string pathAndQuery) => new($"http://127.0.0.1:{Port}{pathAndQuery}");

    /// <summary>Fails the test when the process has ended.</summary>
    public void AssertRunning(string when) =>
        Assert.False(HasExited, $"spindle up (pid {ProcessId}) exited with {(HasExited ? _process.ExitCode : 0)} {when}: {Log}");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(deadline.Token);
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > KeptLines)
        {
            _log.TryDequeue(out _);
        }
    }
}
