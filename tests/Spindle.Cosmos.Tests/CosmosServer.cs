using System.Diagnostics;
using System.Globalization;
using Microsoft.Azure.Cosmos;

[assembly: AssemblyFixture(typeof(Spindle.Cosmos.Tests.CosmosServer))]

namespace Spindle.Cosmos.Tests;

/// <summary>
/// A throw-away local Cosmos DB server (npm <c>@vercel/cosmosdb-server</c>, installed under server/ by .ci/run with
/// <c>npm ci</c>) on a free loopback port, over HTTPS with its self-signed certificate, data in memory only. The
/// assembly fixture is shared by every test class; the outage test starts its own, because it stops it.
/// </summary>
public sealed class CosmosServer : IAsyncLifetime
{
    /// <summary>The database the fixture creates.</summary>
    public const string Database = "spindle";

    /// <summary>The container the fixture creates, partitioned by <c>/store_id</c>.</summary>
    public const string Container = "kv";

    /// <summary>Any base64 key: the server checks no signatures.</summary>
    public static readonly string AccountKey = Convert.ToBase64String(new byte[64]);

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(20);

    private Process? _process;
    private string? _missing;
    private CosmosClient? _admin;

    /// <summary>The port it listens on (loopback).</summary>
    public int Port { get; private set; }

    /// <summary>Its URL, for the <c>endpoint</c> option.</summary>
    public string Endpoint => $"https://127.0.0.1:{Port}/";

    /// <summary>A client of the test's own, for creating containers and reading documents as they are stored.</summary>
    public CosmosClient Admin => _admin ?? throw new InvalidOperationException("not started");

    /// <summary>The OS process, for outage tests that stop it.</summary>
    public Process Process => _process ?? throw new InvalidOperationException("not started");

    /// <summary>The options of a store on this server's shared container.</summary>
    public CosmosStoreOptions Options(string? appId = null, string valueEncoding = CosmosStoreOptions.BytesEncoding, string container = Container) =>
        new("localaccount", Database, container, AccountKey, Endpoint, InsecureSkipTlsVerify: true, AppId: appId, ValueEncoding: valueEncoding);

    /// <summary>Starts a server for one test; skips (or fails with CI=true) when the server is not installed.</summary>
    public static async Task<CosmosServer> StartAsync()
    {
        var server = new CosmosServer();
        await server.InitializeAsync();
        server.RequireOrSkip();
        return server;
    }

    public async ValueTask InitializeAsync()
    {
        var script = RepoPaths.Combine("tests", "Spindle.Cosmos.Tests", "server", "node_modules", "@vercel", "cosmosdb-server", "lib", "cli.js");
        if (!File.Exists(script))
        {
            _missing = "the local Cosmos DB server is not installed; install it with: npm ci --prefix tests/Spindle.Cosmos.Tests/server (.ci/run does)";
            return;
        }

        Port = Ports.Free();
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, "--port", Port.ToString(CultureInfo.InvariantCulture), "--host", "127.0.0.1" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _admin = new CosmosClient(Endpoint, AccountKey, new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            LimitToEndpoint = true,
            ServerCertificateCustomValidationCallback = static (_, _, _) => true,
            RequestTimeout = TimeSpan.FromSeconds(5),
        });
        await WaitUntilAnsweringAsync();
        await CreateContainerAsync(Container, "/store_id");
    }

    /// <summary>Creates a container in <see cref="Database"/> (and the database when missing).</summary>
    public async Task<Container> CreateContainerAsync(string name, string partitionKeyPath)
    {
        var database = (await Admin.CreateDatabaseIfNotExistsAsync(Database)).Database;
        return (await database.CreateContainerIfNotExistsAsync(new ContainerProperties(name, partitionKeyPath))).Container;
    }

    /// <summary>Sends a signal to the server, for example <c>STOP</c> so it stops answering, or <c>CONT</c>.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, Process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Skips the calling test when the server is missing; with CI=true fails instead.</summary>
    public void RequireOrSkip()
    {
        if (_missing is not null)
        {
            Prerequisites.Missing(_missing);
        }
    }

    public ValueTask DisposeAsync()
    {
        _admin?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Polls the account resource until the server answers, under a deadline.</summary>
    private async Task WaitUntilAnsweringAsync()
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < StartDeadline)
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"the Cosmos DB server exited with code {_process.ExitCode} on port {Port}");
            }

            try
            {
                await Admin.ReadAccountAsync();
                return;
            }
            catch (Exception ex) when (ex is CosmosException or HttpRequestException)
            {
                last = ex;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the Cosmos DB server on port {Port} did not answer within {StartDeadline}", last);
    }
}
