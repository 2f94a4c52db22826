using BenchmarkDotNet.Attributes;
using Spindle.Core;
using Spindle.Host;
using Spindle.Host.Components;
using Spindle.Sqlite;

namespace Spindle.Benchmarks;

/// <summary>
/// A guest's <c>get</c> through Spindle's Component Model layer (<c>fermyon:spin/key-value@2.0.0</c>: the resource
/// borrow, string lifting, the value lowered into the guest through its realloc, the result variant in the return
/// area) against the same C loop over the Spin 1.x core ABI (bench/guests/get-loop: one source, two builds), on the
/// same SQLite store. Both run in a fresh instance per invocation, amortized over the loop.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class ComponentGetBenchmarks
{
    private const int SmallCalls = 1000;
    private const int BigCalls = 20;

    private string _folder = null!;
    private StoreRegistry _registry = null!;
    private WasmEngine _engine = null!;
    private CoreModuleGuest _core = null!;
    private ComponentGuest _component = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "spindle-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _registry = new StoreRegistry(new KeyValueLimits { MaxValueBytes = 2 * 1024 * 1024 });
        _registry.Add("default", SqliteDatabase.OpenFile(Path.Combine(_folder, "sqlite_key_value.db")));
        var store = _registry.Open("default");
        var small = new byte[100];
        var big = new byte[1024 * 1024];
        Random.Shared.NextBytes(small);
        Random.Shared.NextBytes(big);
        store.Set("small", small);
        store.Set("big", big);

        var guests = Path.Combine(RequestBenchmarks.RepoRoot(), "bench", "guests", "get-loop");
        _engine = new WasmEngine(new HostOptions { MaxMemoryBytes = 64L * 1024 * 1024 });
        _core = _engine.LoadCoreModule("get-loop", Path.Combine(guests, "get-loop.wasm"), _registry.ForComponent(["default"]));
        _component = (ComponentGuest)_engine.LoadComponent("get-loop-component", Path.Combine(guests, "get-loop-component.wasm"), _registry.ForComponent(["default"]));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _registry.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = SmallCalls)]
    [BenchmarkCategory(BenchmarkCategories.ComponentRead)]
    public long CoreGet() => CoreLoop(0, SmallCalls);

    [Benchmark(OperationsPerInvoke = SmallCalls)]
    [BenchmarkCategory(BenchmarkCategories.ComponentRead)]
    public long ComponentGet() => ComponentLoop(0, SmallCalls);

    [Benchmark(Baseline = true, OperationsPerInvoke = BigCalls)]
    [BenchmarkCategory(BenchmarkCategories.ComponentReadBig)]
    public long CoreGetBig() => CoreLoop(1, BigCalls);

    /// <summary>Target: under 2 ms per 1 MiB get, and at least 0.8 of the core ABI's throughput.</summary>
    [Benchmark(OperationsPerInvoke = BigCalls)]
    [BenchmarkCategory(BenchmarkCategories.ComponentReadBig)]
    public long ComponentGetBig() => ComponentLoop(1, BigCalls);

    private long CoreLoop(int which, int calls) =>
        _core.Invoke(instance => instance.Instance.GetFunction<int, int, long>("get_n")!(which, calls));

    private long ComponentLoop(int which, int calls) =>
        _component.Invoke(instance => (long)(ulong)instance.GetFunction("spindle:test/bench", "get-n")!.Invoke((uint)which, (uint)calls)!);
}

/// <summary>
/// The cost of a fresh instance, which Spindle pays on every request: the core module and the C component of
/// get-loop, and the 12 MB componentize-js component of tests/guests/js-kv (built by scripts/build-js-guests.sh, or
/// named by SPINDLE_GUEST_JS_KV). Each is created, initialized (start functions, <c>_initialize</c>) and dropped.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class InstantiateBenchmarks
{
    private string _folder = null!;
    private StoreRegistry _registry = null!;
    private WasmEngine _engine = null!;
    private CoreModuleGuest _core = null!;
    private ComponentGuest _component = null!;
    private ComponentGuest _javaScript = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "spindle-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _registry = new StoreRegistry();
        _registry.Add("default", new InMemoryStoreManager());
        var root = RequestBenchmarks.RepoRoot();
        var guests = Path.Combine(root, "bench", "guests", "get-loop");
        _engine = new WasmEngine(new HostOptions { CompilationCacheDirectory = Path.Combine(Path.GetTempPath(), "spindle-bench-compiled") });
        _core = _engine.LoadCoreModule("get-loop", Path.Combine(guests, "get-loop.wasm"), _registry.ForComponent(["default"]));
        _component = (ComponentGuest)_engine.LoadComponent("get-loop-component", Path.Combine(guests, "get-loop-component.wasm"), _registry.ForComponent(["default"]));
        _javaScript = (ComponentGuest)_engine.LoadComponent("js-kv", JavaScriptGuest(root), _registry.ForComponent(["default"]));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _registry.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(BenchmarkCategories.Instantiate)]
    public int CoreModule() => _core.Invoke(static _ => 0);

    [Benchmark]
    [BenchmarkCategory(BenchmarkCategories.Instantiate)]
    public int CComponent() => _component.Invoke(static _ => 0);

    [Benchmark]
    [BenchmarkCategory(BenchmarkCategories.Instantiate)]
    public int JavaScriptComponent() => _javaScript.Invoke(static _ => 0);

    private static string JavaScriptGuest(string root)
    {
        if (Environment.GetEnvironmentVariable("SPINDLE_GUEST_JS_KV") is { Length: > 0 } path)
        {
            return path;
        }

        using var build = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(root, "scripts", "build-js-guests.sh"), "js-kv"])
        {
            RedirectStandardOutput = true,
        })!;
        var output = build.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
        build.WaitForExit();
        return build.ExitCode == 0 && File.Exists(output)
            ? output
            : throw new InvalidOperationException("cannot build tests/guests/js-kv: run scripts/build-js-guests.sh js-kv (needs node and npm)");
    }
}
