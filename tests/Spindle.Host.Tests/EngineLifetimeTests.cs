namespace Spindle.Host.Tests;

/// <summary>
/// An engine frees its native resources on Dispose. Each engine's pooling allocator maps thousands of regions; a
/// component's linker kept it alive after Dispose, so a process that made a few dozen engines (the test run did)
/// passed Linux's 65,530 mappings and Wasmtime panicked, killing the process.
/// </summary>
/// <remarks>Runs alone: engines other tests create meanwhile would count as growth.</remarks>
[Collection(nameof(EngineLifetimeTests))]
public sealed class EngineLifetimeTests : IDisposable
{
    private readonly HostFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void Disposed_engines_give_back_their_memory_mappings()
    {
        var wasm = _fixture.Wasm("answer-1");
        var before = MappingCount();
        for (var i = 0; i < 8; i++)
        {
            using var engine = new WasmEngine(new HostOptions { MaxConcurrentInstances = 16 }, _fixture.LoggerFactory);
            var component = engine.LoadCoreModule("answer", wasm, _fixture.Stores);
            Assert.NotNull(component);
        }

        // One live engine of this size maps about 1,000 regions; eight leaked ones would add several thousand.
        var growth = MappingCount() - before;
        Assert.True(growth < 1500, $"{growth} memory mappings more after 8 engines were created and disposed");
    }

    private static int MappingCount() => File.ReadLines("/proc/self/maps").Count();
}

[CollectionDefinition(nameof(EngineLifetimeTests), DisableParallelization = true)]
public sealed class EngineLifetimeGroup;
