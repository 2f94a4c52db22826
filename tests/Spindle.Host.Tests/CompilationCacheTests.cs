using Microsoft.Extensions.Logging;

namespace Spindle.Host.Tests;

public sealed class CompilationCacheTests : IDisposable
{
    private static readonly HttpGuestRequest Get = new("GET", "/", [], []);
    private readonly HostFixture _fixture = new();

    private string CacheDirectory => Path.Combine(_fixture.Folder, "cache");

    [Fact]
    public async Task A_restart_loads_the_compiled_module_instead_of_recompiling()
    {
        var wasm = _fixture.Wasm("stubbed-imports");
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using (var first = new WasmEngine(options, _fixture.LoggerFactory))
        {
            first.LoadComponent("stubs", wasm, _fixture.Stores.ForComponent([]));
        }

        var cached = Assert.Single(Directory.GetFiles(CacheDirectory, "*.cwasm"));
        var writtenAt = File.GetLastWriteTimeUtc(cached);

        using var second = new WasmEngine(options, _fixture.LoggerFactory);
        var component = second.LoadComponent("stubs", wasm, _fixture.Stores.ForComponent([]));

        Assert.Equal(200, (await component.TryHandleHttpAsync(Get)!).Status);
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(cached)); // read, not rewritten
        Assert.Single(Directory.GetFiles(CacheDirectory));
    }

    [Fact]
    public async Task A_damaged_cache_entry_is_recompiled_and_replaced()
    {
        var wasm = _fixture.Wasm("stubbed-imports");
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using (var first = new WasmEngine(options, _fixture.LoggerFactory))
        {
            first.LoadComponent("stubs", wasm, _fixture.Stores.ForComponent([]));
        }

        var cached = Assert.Single(Directory.GetFiles(CacheDirectory, "*.cwasm"));
        File.WriteAllBytes(cached, [1, 2, 3, 4]);

        using var second = new WasmEngine(options, _fixture.LoggerFactory);
        var component = second.LoadComponent("stubs", wasm, _fixture.Stores.ForComponent([]));

        Assert.Equal(200, (await component.TryHandleHttpAsync(Get)!).Status);
        Assert.True(new FileInfo(cached).Length > 4);
        Assert.Contains(_fixture.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("recompiling", StringComparison.Ordinal));
    }

    [Fact]
    public void Different_modules_get_different_entries()
    {
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using var engine = new WasmEngine(options, _fixture.LoggerFactory);
        engine.LoadComponent("a", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));
        engine.LoadComponent("b", _fixture.Wasm("no-http-export"), _fixture.Stores.ForComponent([]));
        Assert.Equal(2, Directory.GetFiles(CacheDirectory, "*.cwasm").Length);
    }

    public void Dispose() => _fixture.Dispose();
}
