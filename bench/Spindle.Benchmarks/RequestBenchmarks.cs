using BenchmarkDotNet.Attributes;
using Spindle.Core;
using Spindle.Host;
using Spindle.Sqlite;

namespace Spindle.Benchmarks;

/// <summary>
/// The per-request cost of the host without HTTP: a fresh instance of the kv-counter example (store, WASI,
/// instantiation, <c>_initialize</c>) and a whole <c>GET /</c> through <c>handle-http-request</c> (one key-value get).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class RequestBenchmarks
{
    private static readonly HttpGuestRequest GetRoot = new("GET", "/", [new("host", "localhost")], []);

    private string _folder = null!;
    private StoreRegistry _registry = null!;
    private WasmEngine _engine = null!;
    private CoreModuleGuest _counter = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "spindle-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _registry = new StoreRegistry();
        _registry.Add("default", SqliteDatabase.OpenFile(Path.Combine(_folder, "sqlite_key_value.db")));
        _registry.Open("default").Set("count", "41"u8.ToArray());
        _engine = new WasmEngine();
        _counter = _engine.LoadCoreModule("kv-counter", Path.Combine(RepoRoot(), "examples", "kv-counter", "kv-counter.wasm"), _registry.ForComponent(["default"]));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _registry.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Store, WASI context, instantiation and <c>_initialize</c> of the kv-counter module.</summary>
    [Benchmark]
    public int InstantiateKvCounter() => _counter.Invoke(static _ => 0);

    /// <summary>A whole request on the calling thread: instantiate, lower, handle (one get), lift.</summary>
    [Benchmark]
    public int HandleGet() => _counter.Invoke(instance =>
    {
        var handler = instance.Instance.GetFunction<int, int, int, int, int, int, int, int, int, int, int>("handle-http-request")!;
        var memory = instance.Context.Memory;
        var a = Spindle.Host.Abi.HttpAbi.Lower(memory, GetRoot, 0);
        var pointer = handler(a.Method, a.UriPtr, a.UriLen, a.HeadersPtr, a.HeadersLen, a.ParamsPtr, a.ParamsLen, a.BodyIsSome, a.BodyPtr, a.BodyLen);
        return Spindle.Host.Abi.HttpAbi.Lift(memory, pointer).Status;
    });

    /// <summary>The same request through the guest thread pool, as the HTTP trigger runs it.</summary>
    [Benchmark]
    public int HandleGetOnGuestThread() => _counter.TryHandleHttpAsync(GetRoot)!.GetAwaiter().GetResult().Status;

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Spindle.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("run the benchmarks from inside the repository");
    }
}
