using Spindle.Components.Binary;
using Spindle.Components.Runtime;
using Wasmtime;

namespace Spindle.Components.Tests;

/// <summary>A real Wasmtime linear memory with a bump-allocating realloc, for Canonical ABI tests.</summary>
internal sealed class TestMemory : IDisposable
{
    private const string Wat = """
        (module
          (memory (export "memory") 1 1000)
          (global $next (mut i32) (i32.const 16))
          (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
            (local $p i32)
            (local.set $p (i32.and
              (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
              (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
            (global.set $next (i32.add (local.get $p) (local.get $size)))
            (block $ok
              (br_if $ok (i32.le_u (global.get $next) (i32.mul (memory.size) (i32.const 65536))))
              (drop (memory.grow (i32.add (i32.div_u (i32.sub (global.get $next) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65536)) (i32.const 1)))))
            (local.get $p)))
        """;

    private readonly Engine _engine = new();
    private readonly Module _module;
    private readonly Store _store;

    public TestMemory()
    {
        _module = Module.FromText(_engine, "memory", Wat);
        _store = new Store(_engine);
        var instance = new Instance(_store, _module);
        Memory = new GuestMemory(instance.GetMemory("memory")!, instance.GetFunction("cabi_realloc"));
        RawMemory = instance.GetMemory("memory")!;
    }

    public GuestMemory Memory { get; }

    public Memory RawMemory { get; }

    public HandleTable Handles { get; } = new();

    public AbiContext Context(StringEncoding encoding = StringEncoding.Utf8) => new(Memory, encoding, Handles);

    public void Dispose()
    {
        _store.Dispose();
        _module.Dispose();
        _engine.Dispose();
    }
}
