using BenchmarkDotNet.Attributes;
using Spindle.Core;
using Spindle.Host;
using Spindle.Sqlite;
using Wasmtime;

namespace Spindle.Benchmarks;

/// <summary>
/// A guest calling <c>key-value.get</c> for a 100-byte value through the Spin 1.x core ABI (string lowering, host
/// call, allocation in the guest through its realloc, result area), against the same <c>Get</c> on the same store
/// called from .NET. Both read the same SQLite file through the same <see cref="StoreRegistry"/>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 3, warmupCount: 5, iterationCount: 15)]
public class GuestGetBenchmarks
{
    private const int Calls = 1000;
    private const string Key = "bench-key";

    // A minimal guest: opens "default" and calls get in a loop; its allocator hands out one scratch area because
    // the values are not kept.
    private const string GuestText = """
        (module
          (import "key-value" "open" (func $open (param i32 i32 i32)))
          (import "key-value" "get" (func $get (param i32 i32 i32 i32)))
          (import "key-value" "close" (func $close (param i32)))
          (memory (export "memory") 2)
          (data (i32.const 16) "default")
          (data (i32.const 32) "bench-key")
          (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 4096)
          (func (export "canonical_abi_free") (param i32 i32 i32))
          (func (export "open_default") (result i32)
            (call $open (i32.const 16) (i32.const 7) (i32.const 64))
            (if (i32.load8_u (i32.const 64)) (then unreachable))
            (i32.load (i32.const 68)))
          (func (export "get_n") (param $handle i32) (param $n i32) (result i32)
            (local $i i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (call $get (local.get $handle) (i32.const 32) (i32.const 9) (i32.const 64))
                (if (i32.load8_u (i32.const 64)) (then unreachable))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (i32.load (i32.const 72)))
          (func (export "close_n") (param $n i32)
            (local $i i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (call $close (i32.const 12345))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))))
        """;

    private string _folder = null!;
    private StoreRegistry _registry = null!;
    private IKeyValueStore _store = null!;
    private WasmEngine _engine = null!;
    private CoreModuleGuest _component = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "spindle-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _registry = new StoreRegistry();
        _registry.Add("default", SqliteDatabase.OpenFile(Path.Combine(_folder, "sqlite_key_value.db")));
        _store = _registry.Open("default");
        var value = new byte[100];
        Random.Shared.NextBytes(value);
        _store.Set(Key, value);

        var wasm = Path.Combine(_folder, "get-loop.wasm");
        File.WriteAllBytes(wasm, Module.ConvertText(GuestText));
        _engine = new WasmEngine();
        _component = _engine.LoadCoreModule("bench", wasm, _registry.ForComponent(["default"]));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _registry.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    [BenchmarkCategory(BenchmarkCategories.GuestRead)]
    public int NativeGet()
    {
        var total = 0;
        for (var i = 0; i < Calls; i++)
        {
            total += _store.Get(Key)!.Length;
        }

        return total;
    }

    /// <summary>One fresh instance per 1000 gets (instantiation is amortized to well under 1% of a get).</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    [BenchmarkCategory(BenchmarkCategories.GuestRead)]
    public int GuestGet() => _component.Invoke(instance =>
    {
        var handle = instance.Instance.GetFunction<int>("open_default")!();
        return instance.Instance.GetFunction<int, int, int>("get_n")!(handle, Calls);
    });

    /// <summary>Diagnostic: the cost of a host call that does nothing (close of an unknown handle).</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    [BenchmarkCategory(BenchmarkCategories.GuestRead)]
    public int GuestNoopImport() => _component.Invoke(instance =>
    {
        instance.Instance.GetAction<int>("close_n")!(Calls);
        return 0;
    });

    /// <summary>Diagnostic: creating, initializing and dropping one instance (amortized over 1000 in the others).</summary>
    [Benchmark]
    [BenchmarkCategory(BenchmarkCategories.GuestRead)]
    public int Instantiate() => _component.Invoke(static _ => 0);
}
