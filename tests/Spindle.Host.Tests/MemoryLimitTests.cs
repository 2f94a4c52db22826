using Wasmtime;

namespace Spindle.Host.Tests;

public sealed class MemoryLimitTests : IDisposable
{
    private const long ThreePages = 3 * 65536;
    private readonly HostFixture _fixture = new();

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(1000L)]
    [InlineData(65535L)]
    [InlineData(HostOptions.MaxMemoryBytesMaximum + 1)]
    [InlineData(long.MaxValue)]
    public void A_memory_limit_outside_one_page_to_4_GiB_is_refused_before_the_engine_starts(long limit)
    {
        // Issue #6: past 4 GiB Wasmtime's engine constructor panicked (exit 134); below a page nothing could run.
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new WasmEngine(new HostOptions { MaxMemoryBytes = limit }, _fixture.LoggerFactory));
        Assert.Equal(nameof(HostOptions.MaxMemoryBytes), ex.ParamName);
    }

    [Theory]
    [InlineData(HostOptions.MaxMemoryBytesMinimum)]
    [InlineData(HostOptions.MaxMemoryBytesMaximum)]
    public void The_memory_limit_bounds_themselves_run_a_guest(long limit)
    {
        using var engine = new WasmEngine(new HostOptions { MaxMemoryBytes = limit }, _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("one", _fixture.Wasm("answer-1"), _fixture.Stores.ForComponent([]));
        Assert.Equal(1, component.Invoke(i => i.Instance.GetFunction<int>("answer")!()));
    }

    [Theory]
    [InlineData(2 * 65536L)] // the pooling allocator refused the module as "not valid"
    [InlineData(ThreePages - 1)] // the pooling allocator rounds up to 196608: it loaded, and every instantiation failed
    public void A_module_whose_initial_memory_exceeds_the_limit_is_refused_naming_the_limit(long limit)
    {
        // Issue #6: the error blamed the module.
        using var engine = new WasmEngine(new HostOptions { MaxMemoryBytes = limit }, _fixture.LoggerFactory);

        var ex = Assert.Throws<MemoryLimitException>(() => engine.LoadCoreModule("big", _fixture.Wasm("three-pages"), _fixture.Stores.ForComponent([])));

        Assert.Equal(ThreePages, ex.InitialMemoryBytes);
        Assert.Equal(limit, ex.MaxMemoryBytes);
        Assert.Equal("big", ex.ComponentId);
        Assert.Equal(
            $"component 'big': the module's initial memory (196608 bytes) is larger than the memory limit of {limit} bytes (--max-memory-bytes, HostOptions.MaxMemoryBytes); raise the limit to at least 196608",
            ex.Message);
    }

    [Fact]
    public void A_module_whose_initial_memory_equals_the_limit_runs()
    {
        using var engine = new WasmEngine(new HostOptions { MaxMemoryBytes = ThreePages }, _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("big", _fixture.Wasm("three-pages"), _fixture.Stores.ForComponent([]));
        Assert.Equal(3, component.Invoke(i => i.Instance.GetFunction<int>("answer")!()));
    }

    [Theory]
    [InlineData("(module)", 0L)]
    [InlineData("(module (memory 2))", 2 * 65536L)]
    [InlineData("(module (memory 1 10))", 65536L)]
    [InlineData("(module (memory i64 7))", 7 * 65536L)]
    [InlineData("(module (memory 0 65536 shared))", 0L)]
    [InlineData("(module (import \"env\" \"m\" (memory 5)) (memory 2))", 5 * 65536L)]
    [InlineData("(module (import \"a\" \"f\" (func (param i32))) (import \"a\" \"t\" (table 1 funcref)) (import \"a\" \"g\" (global (mut i64))) (import \"a\" \"r\" (global externref)) (import \"a\" \"m\" (memory 4 4)) (memory 1))", 4 * 65536L)]
    [InlineData("(module (memory 65536))", 65536L * 65536)]
    [InlineData("(module (memory i64 281474976710656))", long.MaxValue)]
    public void The_initial_memory_is_read_from_the_module(string wat, long expected) =>
        Assert.Equal(expected, WasmBinary.InitialMemoryBytes(Module.ConvertText(wat)));

    [Fact]
    public void A_file_that_is_not_a_readable_core_module_yields_nothing_to_check()
    {
        var valid = Module.ConvertText("(module (import \"env\" \"m\" (memory 5)))");
        Assert.Null(WasmBinary.InitialMemoryBytes([]));
        Assert.Null(WasmBinary.InitialMemoryBytes([0, 1, 2, 3]));
        Assert.Null(WasmBinary.InitialMemoryBytes([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0])); // a component
        for (var length = 9; length < valid.Length; length++)
        {
            Assert.Null(WasmBinary.InitialMemoryBytes(valid.AsSpan(0, length))); // every truncation
        }
    }

    public void Dispose() => _fixture.Dispose();
}
