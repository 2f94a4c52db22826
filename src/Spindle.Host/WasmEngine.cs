using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spindle.Components;
using Spindle.Components.Wasi;
using Spindle.Core;
using Spindle.Host.Abi;
using Spindle.Host.Components;
using Wasmtime;

namespace Spindle.Host;

/// <summary>
/// The process-wide WebAssembly engine: compiles modules (cached in memory and, optionally, on disk), advances
/// the epoch that enforces request deadlines, and runs guests on dedicated threads under a concurrency cap.
/// </summary>
public sealed class WasmEngine : IDisposable
{
    // How often the epoch advances; deadlines are whole ticks of this.
    private static readonly TimeSpan EpochTick = TimeSpan.FromMilliseconds(10);

    // Part of the disk cache key: compiled code is only valid for the same Wasmtime build and engine settings.
    private static readonly string EngineFingerprint =
        $"wasmtime-{typeof(Engine).Assembly.GetName().Version}-epoch-nogc-v2-{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}";

    // Instances created outside the trigger's cap (tests, benchmarks, start-up checks).
    private const uint SpareInstanceSlots = 8;

    // Memory a slot keeps mapped and zeroes itself between instances instead of returning it to the kernel.
    private const nuint KeepResidentBytes = 1024 * 1024;

    // A component instance is several core instances: wit-component output has four (main, WASI adapter, shim, fixup).
    internal const int CoreInstancesPerComponent = 8;

    private readonly Engine _engine;
    private readonly Linker _linker;

    // Each holds a reference to the native engine: undisposed, they keep its pooling allocator (thousands of memory
    // mappings) alive after Dispose, and a process that creates engines runs out of mappings.
    private readonly ConcurrentBag<Linker> _componentLinkers = [];
    private readonly ConcurrentDictionary<string, Lazy<Module>> _modules = new(StringComparer.Ordinal);
    private readonly GuestScheduler _scheduler;
    private readonly Thread _epochThread;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly CompilationCache? _cache;

    // The interfaces components import (WASI 0.2 and every key-value interface), defined once per engine.
    private readonly HostDefinitions _componentHost;
    private readonly WasiHttp _http;

    // Every component's allowed outbound requests share one client, so connections to an origin are pooled.
    private readonly HttpMessageInvoker _outboundClient = OutgoingHttp.CreateClient();

    /// <summary>Creates the engine.</summary>
    public WasmEngine(HostOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Options = options ?? new HostOptions();
        Options.Validate();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<WasmEngine>();
        _cache = Options.CompilationCacheDirectory is { } directory ? new CompilationCache(directory, EngineFingerprint, _logger) : null;

        // The pooling allocator keeps a fixed set of instance slots with their memory mappings, so a request's
        // instance reuses a warm slot instead of mapping and faulting in fresh memory (docs/host.md).
        // Each guest slot may hold a component: several core instances, tables and memories.
        var slots = (uint)Options.MaxConcurrentInstances + SpareInstanceSlots;
        using var pooling = new PoolingAllocationConfig()
            .WithMaxCoreInstances(slots * CoreInstancesPerComponent)
            .WithMaxMemories(slots * 2)
            .WithMaxTables(slots * 4)
            .WithMaxMemorySize((nuint)Options.MaxMemoryBytes)
            .WithLinearMemoryKeepResidentBytes(KeepResidentBytes)
            .WithTableKeepResidentBytes(KeepResidentBytes);
        // GC, typed function references and exception handling stay off: Wasmtime's .NET binding aborts the whole
        // process when it lists the imports or exports of a module whose signatures use their reference types
        // (anything but funcref and externref), and no Spin toolchain emits them; refused, they fail validation.
        using var config = new Config()
            .WithEpochInterruption(true)
            .WithGc(false)
            .WithFunctionReferences(false)
            .WithExceptions(false)
            .WithPoolingAllocationStrategy(pooling);
        _engine = new Engine(config);
        _linker = new Linker(_engine);
        _linker.DefineWasi();
        KeyValueImports.Define(_linker);
        SpinConfigImports.Define(_linker);
        var wasi = new WasiPreview2();
        _http = new WasiHttp(wasi);
        _componentHost = _http.AddTo(wasi.AddTo(new HostDefinitions()));
        foreach (var definition in KeyValueInterfaces.Define().Concat(VariablesInterfaces.Define()))
        {
            _componentHost.Add(definition);
        }

        _scheduler = new GuestScheduler(Options.MaxConcurrentInstances);

        _epochThread = new Thread(AdvanceEpoch) { IsBackground = true, Name = "spindle-epoch" };
        _epochThread.Start();
    }

    /// <summary>The limits guests run under.</summary>
    public HostOptions Options { get; }

    /// <summary>
    /// The header that carries a service-chaining request (a component's request to
    /// <c>http://&lt;component-id&gt;.spin.internal</c>) to the application's HTTP trigger: <see cref="ServiceChainingKey"/>,
    /// a space, and the id of the component it is for. Only the host sets it; the trigger drops it from every request.
    /// </summary>
    public const string ServiceChainingHeader = "spindle-chained-to";

    /// <summary>
    /// A secret made for this engine that proves a request came from one of its components through service chaining
    /// (a client that sends <see cref="ServiceChainingHeader"/> cannot know it). Give it to the trigger.
    /// </summary>
    public string ServiceChainingKey { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Where the application these components belong to is served, as a loopback origin such as
    /// <c>http://127.0.0.1:3000</c>, for the requests components send to their own application (<c>http://self</c>).
    /// Set it once the trigger listens; until then such requests fail with <c>HTTP-request-URI-invalid</c>.
    /// </summary>
    public Uri? AppOrigin { get; set; }

    internal Engine Engine => _engine;

    internal GuestScheduler Scheduler => _scheduler;

    internal ILoggerFactory LoggerFactory => _loggerFactory;

    internal ulong DeadlineTicks => (ulong)Math.Ceiling(Options.RequestTimeout / EpochTick);

    /// <summary>
    /// Compiles (or loads from cache) the module at <paramref name="wasmPath"/> and prepares it to run as component
    /// <paramref name="componentId"/> with access to <paramref name="stores"/>.
    /// </summary>
    /// <exception cref="WasmtimeException">The file is not a valid WebAssembly module.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="MemoryLimitException">The module's initial memory is larger than <see cref="HostOptions.MaxMemoryBytes"/>.</exception>
    /// <param name="componentId">The component's id, for logs and errors.</param>
    /// <param name="wasmPath">The module or component file.</param>
    /// <param name="stores">The stores the component may open.</param>
    /// <param name="allowOutboundHttp">
    /// Whether a request to this absolute URI (from <c>wasi:http/outgoing-handler</c>) may be sent; without it every
    /// outbound request is denied. Denied requests are logged with their origin.
    /// </param>
    /// <param name="allowSelfRequests">
    /// Whether the component may send requests to its own application (<c>http://self</c> in
    /// <c>allowed_outbound_hosts</c>): they go to <see cref="AppOrigin"/>.
    /// </param>
    /// <param name="variables">
    /// The variables a component reads with <c>fermyon:spin/variables</c> or <c>wasi:config/store</c>, by name (resolved
    /// values); none when omitted. Core modules read them with Spin 1.x's <c>spin-config</c>.
    /// </param>
    public GuestComponent LoadComponent(string componentId, string wasmPath, IKeyValueStoreManager stores, Func<Uri, bool>? allowOutboundHttp = null, bool allowSelfRequests = false, IReadOnlyDictionary<string, string>? variables = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(componentId);
        ArgumentException.ThrowIfNullOrEmpty(wasmPath);
        ArgumentNullException.ThrowIfNull(stores);
        var bytes = File.ReadAllBytes(wasmPath);
        if (Component.IsComponent(bytes))
        {
            return LoadWebAssemblyComponent(componentId, bytes, stores, allowOutboundHttp, allowSelfRequests, variables ?? new Dictionary<string, string>());
        }

        return LoadCoreModule(componentId, bytes, stores, variables);
    }

    /// <summary>Loads a core module (tests and benchmarks use it to reach the instance directly).</summary>
    internal CoreModuleGuest LoadCoreModule(string componentId, string wasmPath, IKeyValueStoreManager stores) =>
        LoadCoreModule(componentId, File.ReadAllBytes(wasmPath), stores);

    private CoreModuleGuest LoadCoreModule(string componentId, byte[] bytes, IKeyValueStoreManager stores, IReadOnlyDictionary<string, string>? variables = null)
    {
        CheckInitialMemory(componentId, bytes);
        var module = Compile(componentId, bytes);

        // Each component gets its own linker so imports Spindle does not provide (outbound-redis,
        // wasi-outbound-http, ...) can be stubbed for this module: it loads, and only a call to one traps.
        var linker = _linker.Clone();
        _componentLinkers.Add(linker);
        linker.DefineUnknownImportsAsTraps(module);
        return new CoreModuleGuest(this, componentId, module, linker, stores, variables);
    }

    /// <summary>Stops the epoch thread and the guest threads, and frees compiled code.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        _epochThread.Join();
        _scheduler.Dispose();
        foreach (var module in _modules.Values.Where(m => m.IsValueCreated))
        {
            module.Value.Dispose();
        }

        foreach (var linker in _componentLinkers)
        {
            linker.Dispose();
        }

        _linker.Dispose();
        _engine.Dispose();
        _outboundClient.Dispose();
        _stopping.Dispose();
    }

    // Components: each core module is compiled (and cached) on its own, so an app's components share the cache.
    private ComponentGuest LoadWebAssemblyComponent(string componentId, byte[] bytes, IKeyValueStoreManager stores, Func<Uri, bool>? allowOutboundHttp, bool allowSelfRequests, IReadOnlyDictionary<string, string> variables)
    {
        var component = Component.Load(_engine, bytes, _componentHost, (ordinal, module) =>
        {
            var moduleBytes = module.ToArray();
            CheckInitialMemory(componentId, moduleBytes);
            return Compile($"{componentId} (core module {ordinal})", moduleBytes);
        });
        foreach (var stub in component.StubbedImports)
        {
            Log.ImportStubbed(_logger, componentId, stub);
        }

        var outbound = new OutgoingHttp(
            _outboundClient,
            target => allowOutboundHttp?.Invoke(target) == true,
            allowSelfRequests ? () => AppOrigin : null,
            origin => Log.OutboundDenied(_logger, componentId, origin),
            ServiceChaining);
        return new ComponentGuest(this, componentId, component, stores, _http, outbound, variables);
    }

    // Spin's service chaining: an allowed request to http://<component-id>.spin.internal goes to that component of
    // this application, through the trigger on loopback with the chaining header (no name lookup, no other machine).
    private OutgoingRedirect? ServiceChaining(Uri target)
    {
        const string Suffix = ".spin.internal";
        var host = target.Host;
        if (!host.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase) || host.Length == Suffix.Length)
        {
            return null;
        }

        var componentId = host[..^Suffix.Length];
        var origin = AppOrigin;
        var redirected = origin is null ? null : new Uri(origin, target.PathAndQuery);
        return new OutgoingRedirect(redirected, ServiceChainingHeader, $"{ServiceChainingKey} {componentId}");
    }

    // Checked before compiling: past the limit Wasmtime's pooling allocator refuses the module as "not valid",
    // which blames the module for what is a setting (issue #6).
    private void CheckInitialMemory(string componentId, byte[] bytes)
    {
        if (WasmBinary.InitialMemoryBytes(bytes) is { } initialMemory && initialMemory > Options.MaxMemoryBytes)
        {
            throw new MemoryLimitException(componentId, initialMemory, Options.MaxMemoryBytes);
        }
    }

    private Module Compile(string name, byte[] bytes)
    {
        var hash = SHA256.HashData(bytes);
        return _modules.GetOrAdd(Convert.ToHexStringLower(hash), _ => new Lazy<Module>(() => CompileUncached(name, bytes, hash))).Value;
    }

    private Module CompileUncached(string name, byte[] bytes, byte[] hash)
    {
        if (_cache is not null)
        {
            return _cache.GetOrCompile(_engine, name, bytes, hash);
        }

        var module = Module.FromBytes(_engine, name, bytes);
        Log.ModuleCompiled(_logger, name);
        return module;
    }

    // One tick per EpochTick of wall-clock time, counted from a stopwatch: on a loaded machine the thread wakes late,
    // and one increment per wake would let guest deadlines drift past the host calls' KeyValueDeadline.
    private void AdvanceEpoch()
    {
        var token = _stopping.Token;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long ticks = 0;
        while (!token.WaitHandle.WaitOne(EpochTick))
        {
            for (var due = clock.Elapsed.Ticks / EpochTick.Ticks; ticks < due; ticks++)
            {
                _engine.IncrementEpoch();
            }
        }
    }
}
