using System.IO.Pipelines;
using System.Text;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>
/// A <c>spindle up</c> running in this process until disposed (like Ctrl-C), whose standard output is read as it is
/// written, so a test learns the address it printed (for <c>--listen ...:0</c>) and what it wrote to standard error.
/// </summary>
internal sealed class ServingCli : IAsyncDisposable
{
    private readonly Pipe _stdout = new();
    private readonly StringWriter _stderr = new();
    private readonly TextWriter _stderrSynchronized;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _lines = [];
    private Task<int>? _run;

    private ServingCli() => _stderrSynchronized = TextWriter.Synchronized(_stderr);

    /// <summary>What it printed up to and including its routes.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>The address from its <c>Serving ...</c> line.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public string Stderr
    {
        get
        {
            // The synchronized writer locks on itself.
            lock (_stderrSynchronized)
            {
                return _stderr.ToString();
            }
        }
    }

    public static async Task<ServingCli> StartAsync(params string[] args)
    {
        var app = new ServingCli();
        var console = new CliConsole(Stream.Null, app._stdout.Writer.AsStream(), app._stderrSynchronized);
        app._run = Task.Run(() => SpindleCli.RunAsync(["up", .. args], console, app._stop.Token));
        await app.ReadBannerAsync();
        return app;
    }

    /// <summary>The same port on 127.0.0.1, which every address tested here also serves.</summary>
    public Uri LoopbackUrl(string pathAndQuery) => new($"http://127.0.0.1:{BaseUrl.Port}{pathAndQuery}");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        var exitCode = await _run!;
        await _stdout.Writer.CompleteAsync();
        _stop.Dispose();
        Assert.True(exitCode == 0, $"spindle up exited {exitCode}: {Stderr}");
    }

    // Reads lines until the routes are listed: "Serving <url>", "Available Routes:", then one line per route.
    private async Task ReadBannerAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        using var reader = new StreamReader(_stdout.Reader.AsStream(leaveOpen: true), Encoding.UTF8, leaveOpen: true);
        var routes = false;
        while (true)
        {
            var next = reader.ReadLineAsync(deadline.Token).AsTask();
            var first = await Task.WhenAny(next, _run!);
            if (first == _run)
            {
                throw new InvalidOperationException($"spindle up exited early with {await _run}: {Stderr}");
            }

            var line = await next ?? throw new InvalidOperationException($"spindle up closed its output: {Stderr}");
            _lines.Add(line);
            if (line.StartsWith("Serving ", StringComparison.Ordinal))
            {
                BaseUrl = new Uri(line["Serving ".Length..]);
            }
            else if (line == "Available Routes:")
            {
                routes = true;
            }
            else if (routes)
            {
                return; // one route is all the apps used here have
            }
        }
    }
}
