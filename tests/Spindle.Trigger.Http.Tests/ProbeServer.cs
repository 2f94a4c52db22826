using System.Net;
using Microsoft.Extensions.Logging;
using Spindle.Core;
using Spindle.Host;
using Spindle.Sqlite;

namespace Spindle.Trigger.Http.Tests;

/// <summary>
/// The kv-probe guest (tests/wasm/kv-probe) served over real HTTP on a free loopback port, with stores that
/// cover every error case: <c>default</c> (SQLite file), <c>secret</c> (defined, not granted), <c>other</c>
/// (granted, not defined), <c>failing</c> (granted; its backend fails every call).
/// </summary>
internal sealed class ProbeServer : IAsyncDisposable
{
    public const int MaxValueBytes = 4096;
    public const int StoreCapacity = 3;

    private readonly string _folder = Directory.CreateTempSubdirectory("spindle-trigger-tests-").FullName;
    private readonly StoreRegistry _registry;
    private readonly WasmEngine _engine;
    private readonly HttpTrigger _trigger;
    private readonly ILoggerFactory _loggerFactory;

    private ProbeServer(HostOptions options, HttpTriggerOptions? triggerOptions, CapturingLoggerProvider log, TimeSpan lockWait, string wasmPath, int maxValueBytes, IReadOnlyList<(string Pattern, string Wasm)> moreRoutes, Func<Uri, bool>? allowOutbound, bool allowSelf, IReadOnlyDictionary<string, string>? variables)
    {
        Log = log;
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(log).SetMinimumLevel(LogLevel.Information));
        DatabasePath = Path.Combine(_folder, "sqlite_key_value.db");
        Database = SqliteDatabase.OpenFile(DatabasePath, busyTimeout: lockWait);
        _registry = new StoreRegistry(new KeyValueLimits { MaxValueBytes = maxValueBytes });
        _registry.Add("default", Database);
        _registry.Add("secret", new InMemoryStoreManager());
        _registry.Add("failing", new FailingBackend());
        _engine = new WasmEngine(options with { CompilationCacheDirectory = options.CompilationCacheDirectory ?? Path.Combine(_folder, "cache") }, _loggerFactory);
        var component = _engine.LoadComponent("probe", wasmPath, _registry.ForComponent(["default", "other", "failing"]), allowOutbound, allowSelf, variables);
        Component = component;
        var more = moreRoutes.Select((r, i) => new HttpRoute(r.Pattern, _engine.LoadComponent($"more-{i}", r.Wasm, _registry.ForComponent(["default"]))));
        _trigger = new HttpTrigger(
            (triggerOptions ?? new HttpTriggerOptions()) with { Listen = new IPEndPoint(IPAddress.Loopback, 0) },
            [new HttpRoute("/...", component), .. more],
            _loggerFactory,
            options.MaxConcurrentInstances);
        Client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    }

    public static string ProbePath => Wasm("probe");

    /// <summary>A guest copied next to the tests: <c>probe</c> (the core-module kv-probe), <c>kv2-probe</c>, <c>wasi-kv-probe</c>, ...</summary>
    public static string Wasm(string name) => Path.Combine(AppContext.BaseDirectory, "wasm", $"{name}.wasm");

    public HttpClient Client { get; }

    /// <summary>The probe component behind route <c>/...</c>.</summary>
    public GuestComponent Component { get; }

    public SqliteDatabase Database { get; }

    public string DatabasePath { get; }

    public CapturingLoggerProvider Log { get; }

    public Uri BaseUrl => _trigger.BaseUrl!;

    /// <param name="options">Host limits; by default a 1 s request timeout.</param>
    /// <param name="triggerOptions">Trigger settings; the address is always a free loopback port.</param>
    /// <param name="lockWait">How long the default store waits for another process's SQLite lock (default 1 s).</param>
    /// <param name="wasm">The guest behind <c>/...</c>, by default the core-module kv-probe (see <see cref="Wasm"/>).</param>
    /// <param name="maxValueBytes">The stores' value size limit (default <see cref="MaxValueBytes"/>).</param>
    /// <param name="moreRoutes">Further components of the same app (granted <c>default</c> only), each on its route.</param>
    /// <param name="allowOutbound">Which outbound requests the guest may send (none by default).</param>
    /// <param name="allowSelf">Whether the guest may send requests to this server itself (<c>http://self</c>).</param>
    public static async Task<ProbeServer> StartAsync(HostOptions? options = null, HttpTriggerOptions? triggerOptions = null, TimeSpan? lockWait = null, string? wasm = null, int maxValueBytes = MaxValueBytes, IReadOnlyList<(string Pattern, string Wasm)>? moreRoutes = null, Func<Uri, bool>? allowOutbound = null, bool allowSelf = false, IReadOnlyDictionary<string, string>? variables = null)
    {
        var server = new ProbeServer(
            options ?? new HostOptions { StoreHandleCapacity = StoreCapacity, RequestTimeout = TimeSpan.FromSeconds(1), MaxMemoryBytes = 32L * 1024 * 1024 },
            triggerOptions,
            new CapturingLoggerProvider(),
            lockWait ?? TimeSpan.FromSeconds(1),
            wasm ?? ProbePath,
            maxValueBytes,
            moreRoutes ?? [],
            allowOutbound,
            allowSelf,
            variables);
        await server._trigger.StartAsync(TestContext.Current.CancellationToken);
        server._engine.AppOrigin = server.BaseUrl; // as spindle up does once it listens
        return server;
    }

    public async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string pathAndQuery, byte[]? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUrl, pathAndQuery));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }

        using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public Task<(HttpStatusCode Status, string Body)> GetAsync(string pathAndQuery) => SendAsync(HttpMethod.Get, pathAndQuery);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _trigger.StopAsync(CancellationToken.None);
        await _trigger.DisposeAsync();
        _engine.Dispose();
        _registry.Dispose();
        _loggerFactory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A backend whose every call fails as an unreachable server's would.</summary>
    private sealed class FailingBackend : IKeyValueStoreManager
    {
        public IKeyValueStore Open(string label) => new FailingStore(label);
    }
}
