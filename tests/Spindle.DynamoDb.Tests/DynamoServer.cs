using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.Runtime;

[assembly: AssemblyFixture(typeof(Spindle.DynamoDb.Tests.DynamoServer))]

namespace Spindle.DynamoDb.Tests;

/// <summary>
/// A throw-away DynamoDB-compatible server: dynalite (npm, installed by <c>npm ci</c> in this project's
/// <c>server/</c> folder, as .ci/run does), in memory, on a free loopback port. The assembly fixture is shared by
/// every test class; the outage test starts its own, because it stops it.
/// </summary>
public sealed class DynamoServer : IAsyncLifetime
{
    /// <summary>Dummy credentials: dynalite checks that requests are signed, not by whom.</summary>
    public const string AccessKey = "AKIDSPINDLETESTKEY01";

    public const string SecretKey = "spindle-test-secret-key-never-printed";

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);
    private readonly StringBuilder _log = new();
    private Process? _process;
    private int _tables;

    /// <summary>Why the server is not running, or <see langword="null"/> when it is.</summary>
    public string? Unavailable { get; private set; } = "not started";

    public int Port { get; private set; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The node process, for tests that stop it.</summary>
    public Process Process => _process ?? throw new InvalidOperationException("not started");

    /// <summary>The folder holding package.json and the lock file that pin dynalite.</summary>
    public static string ServerFolder => RepoPaths.Combine("tests", "Spindle.DynamoDb.Tests", "server");

    /// <summary>Starts a server of its own for one test; skips (or fails with CI=true) when dynalite is not installed.</summary>
    public static async Task<DynamoServer> StartAsync()
    {
        var server = new DynamoServer();
        await server.InitializeAsync();
        server.Require();
        return server;
    }

    /// <summary>Options for a table no other test uses.</summary>
    public DynamoStoreOptions Options(string purpose, bool consistentRead = true) =>
        new("us-east-1", $"t{Interlocked.Increment(ref _tables)}-{purpose}", AccessKey, SecretKey, ConsistentRead: consistentRead, Endpoint: Endpoint);

    /// <summary>A raw client, for looking at what the backend stored.</summary>
    public AmazonDynamoDBClient RawClient() =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonDynamoDBConfig { ServiceURL = Endpoint, AuthenticationRegion = "us-east-1" });

    /// <summary>Skips the calling test when the server could not be started (fails instead when CI=true).</summary>
    public void Require()
    {
        if (Unavailable is not null)
        {
            Prerequisites.Missing($"dynalite is not available: {Unavailable}", $"dynalite is required on CI: {Unavailable}");
        }
    }

    public async ValueTask InitializeAsync()
    {
        var cli = Path.Combine(ServerFolder, "node_modules", "dynalite", "cli.js");
        if (!File.Exists(cli))
        {
            Unavailable = $"{cli} is missing; install it with: (cd {ServerFolder} && npm ci)";
            return;
        }

        Port = Ports.Free();
        var start = new ProcessStartInfo("node") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { cli, "--host", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--createTableMs", "100" })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Unavailable = $"node could not be started ({ex.Message}); install Node.js";
            return;
        }

        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        // Poll ListTables until it answers, under a deadline.
        using var client = RawClient();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.ListTablesAsync(new Amazon.DynamoDBv2.Model.ListTablesRequest(), attempt.Token);
                break;
            }
            catch (Exception ex) when (ex is AmazonClientException or HttpRequestException or OperationCanceledException or IOException)
            {
                if (_process.HasExited || clock.Elapsed > StartDeadline)
                {
                    throw new InvalidOperationException($"dynalite did not answer ListTables on port {Port} within {StartDeadline.TotalSeconds:0} s: {Log}", ex);
                }

                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        Unavailable = null;
    }

    /// <summary>What dynalite printed, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Sends a signal to the server: <c>STOP</c> so it stops answering (keeping its socket), or <c>CONT</c>.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, Process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            Signal("CONT");
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
