using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;

namespace Spindle.Host.Tests;

public sealed class CompilationCacheTests : IDisposable
{
    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly HttpGuestRequest Get = new("GET", "/", [], []);
    private readonly HostFixture _fixture = new();

    private string CacheDirectory => Path.Combine(_fixture.Folder, "cache");

    [Fact]
    public async Task A_restart_loads_the_compiled_module_instead_of_recompiling()
    {
        // Issue #6: proven by the engine's own account of where the code came from, not by file timestamps.
        var wasm = _fixture.Wasm("stubbed-imports");
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using (var first = new WasmEngine(options, _fixture.LoggerFactory))
        {
            first.LoadCoreModule("stubs", wasm, _fixture.Stores.ForComponent([]));
        }

        Assert.Single(_fixture.Lines, l => l.Message == "Compiled module stubs");
        var cached = Assert.Single(Directory.GetFiles(CacheDirectory, "*.cwasm"));
        var linesBefore = _fixture.Lines.Count;

        using var second = new WasmEngine(options, _fixture.LoggerFactory);
        var component = second.LoadCoreModule("stubs", wasm, _fixture.Stores.ForComponent([]));

        Assert.Equal(200, (await component.TryHandleHttpAsync(Get)!).Status);
        var restart = _fixture.Lines.Skip(linesBefore).ToList();
        Assert.DoesNotContain(restart, l => l.Message.StartsWith("Compiled module", StringComparison.Ordinal));
        Assert.Contains(restart, l => l.Message == $"Loaded compiled module stubs from the compilation cache ({cached})");
        Assert.Single(Directory.GetFiles(CacheDirectory));
    }

    [Fact]
    public async Task A_damaged_cache_entry_is_recompiled_and_replaced()
    {
        var wasm = _fixture.Wasm("stubbed-imports");
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using (var first = new WasmEngine(options, _fixture.LoggerFactory))
        {
            first.LoadCoreModule("stubs", wasm, _fixture.Stores.ForComponent([]));
        }

        var cached = Assert.Single(Directory.GetFiles(CacheDirectory, "*.cwasm"));
        File.WriteAllBytes(cached, [1, 2, 3, 4]);

        using var second = new WasmEngine(options, _fixture.LoggerFactory);
        var component = second.LoadCoreModule("stubs", wasm, _fixture.Stores.ForComponent([]));

        Assert.Equal(200, (await component.TryHandleHttpAsync(Get)!).Status);
        Assert.True(new FileInfo(cached).Length > 4);
        Assert.Contains(_fixture.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("recompiling", StringComparison.Ordinal));
    }

    [Fact]
    public void An_entry_copied_over_another_modules_entry_is_recompiled_and_serves_the_right_code()
    {
        // Issue #6: the file name is only a key; the header says which module the code was compiled from.
        var one = _fixture.Wasm("answer-1");
        var two = _fixture.Wasm("answer-2");
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using (var first = new WasmEngine(options, _fixture.LoggerFactory))
        {
            first.LoadCoreModule("one", one, _fixture.Stores.ForComponent([]));
        }

        var entryOfOne = Assert.Single(Directory.GetFiles(CacheDirectory, "*.cwasm"));
        using (var second = new WasmEngine(options, _fixture.LoggerFactory))
        {
            second.LoadCoreModule("two", two, _fixture.Stores.ForComponent([]));
        }

        var entryOfTwo = Assert.Single(Directory.GetFiles(CacheDirectory, "*.cwasm"), f => f != entryOfOne);
        File.Copy(entryOfOne, entryOfTwo, overwrite: true);

        using var third = new WasmEngine(options, _fixture.LoggerFactory);
        var component = third.LoadCoreModule("two", two, _fixture.Stores.ForComponent([]));

        Assert.Equal(2, component.Invoke(i => i.Instance.GetFunction<int>("answer")!()));
        Assert.Contains(_fixture.Lines, l => l.Level == LogLevel.Warning
            && l.Message.Contains(entryOfTwo, StringComparison.Ordinal)
            && l.Message.Contains("compiled from another module", StringComparison.Ordinal));
        Assert.NotEqual(File.ReadAllBytes(entryOfOne), File.ReadAllBytes(entryOfTwo)); // replaced with the right code
    }

    [Fact]
    public void A_truncated_entry_is_caught_before_wasmtime_reads_it()
    {
        // Issue #6
        var wasm = _fixture.Wasm("answer-1");
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using (var first = new WasmEngine(options, _fixture.LoggerFactory))
        {
            first.LoadCoreModule("one", wasm, _fixture.Stores.ForComponent([]));
        }

        var cached = Assert.Single(Directory.GetFiles(CacheDirectory, "*.cwasm"));
        var bytes = File.ReadAllBytes(cached);
        File.WriteAllBytes(cached, bytes[..^1]);

        using var second = new WasmEngine(options, _fixture.LoggerFactory);
        var component = second.LoadCoreModule("one", wasm, _fixture.Stores.ForComponent([]));

        Assert.Equal(1, component.Invoke(i => i.Instance.GetFunction<int>("answer")!()));
        Assert.Contains(_fixture.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("truncated", StringComparison.Ordinal));
        Assert.Equal(bytes, File.ReadAllBytes(cached));
    }

    [Fact]
    public void A_corrupted_entry_body_is_caught_before_wasmtime_reads_it()
    {
        // Issue #6
        var wasm = _fixture.Wasm("answer-1");
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using (var first = new WasmEngine(options, _fixture.LoggerFactory))
        {
            first.LoadCoreModule("one", wasm, _fixture.Stores.ForComponent([]));
        }

        var cached = Assert.Single(Directory.GetFiles(CacheDirectory, "*.cwasm"));
        var bytes = File.ReadAllBytes(cached);
        var damaged = bytes.ToArray();
        damaged[^10] ^= 0xff;
        File.WriteAllBytes(cached, damaged);

        using var second = new WasmEngine(options, _fixture.LoggerFactory);
        var component = second.LoadCoreModule("one", wasm, _fixture.Stores.ForComponent([]));

        Assert.Equal(1, component.Invoke(i => i.Instance.GetFunction<int>("answer")!()));
        Assert.Contains(_fixture.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("corrupted", StringComparison.Ordinal));
        Assert.Equal(bytes, File.ReadAllBytes(cached));
    }

    [Fact]
    public void Different_modules_get_different_entries()
    {
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using var engine = new WasmEngine(options, _fixture.LoggerFactory);
        engine.LoadCoreModule("a", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));
        engine.LoadCoreModule("b", _fixture.Wasm("no-http-export"), _fixture.Stores.ForComponent([]));
        Assert.Equal(2, Directory.GetFiles(CacheDirectory, "*.cwasm").Length);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void A_new_cache_folder_is_private_to_the_user()
    {
        // Issue #6
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using var engine = new WasmEngine(options, _fixture.LoggerFactory);
        engine.LoadCoreModule("one", _fixture.Wasm("answer-1"), _fixture.Stores.ForComponent([]));

        Assert.Equal(PrivateFolder, File.GetUnixFileMode(CacheDirectory));
        var entry = Assert.Single(Directory.GetFiles(CacheDirectory, "*.cwasm"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(entry));
    }

    [Theory]
    [InlineData(UnixFileMode.OtherWrite)]
    [InlineData(UnixFileMode.GroupWrite)]
    [UnsupportedOSPlatform("windows")]
    public void A_cache_folder_others_can_write_to_is_not_used(UnixFileMode extra)
    {
        // Issue #6: anyone who can write there could plant native code for this process to run.
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        Directory.CreateDirectory(CacheDirectory);
        File.SetUnixFileMode(CacheDirectory, PrivateFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute | extra);

        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using var engine = new WasmEngine(options, _fixture.LoggerFactory);
        var one = engine.LoadCoreModule("one", _fixture.Wasm("answer-1"), _fixture.Stores.ForComponent([]));
        var two = engine.LoadCoreModule("two", _fixture.Wasm("answer-2"), _fixture.Stores.ForComponent([]));

        Assert.Equal(1, one.Invoke(i => i.Instance.GetFunction<int>("answer")!()));
        Assert.Equal(2, two.Invoke(i => i.Instance.GetFunction<int>("answer")!()));
        Assert.Empty(Directory.GetFileSystemEntries(CacheDirectory));
        var warning = Assert.Single(_fixture.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains("writable by other users", warning.Message, StringComparison.Ordinal);
        Assert.Contains(CacheDirectory, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void A_cache_folder_owned_by_another_user_is_not_used()
    {
        // Issue #6
        Assert.SkipUnless(OperatingSystem.IsLinux() && Environment.UserName == "root", "needs root on Linux to give a folder to another user");
        Directory.CreateDirectory(CacheDirectory, PrivateFolder);
        using (var chown = Process.Start("chown", ["12345", CacheDirectory]))
        {
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }

        var options = new HostOptions { CompilationCacheDirectory = CacheDirectory };
        using var engine = new WasmEngine(options, _fixture.LoggerFactory);
        var one = engine.LoadCoreModule("one", _fixture.Wasm("answer-1"), _fixture.Stores.ForComponent([]));

        Assert.Equal(1, one.Invoke(i => i.Instance.GetFunction<int>("answer")!()));
        Assert.Empty(Directory.GetFileSystemEntries(CacheDirectory));
        var warning = Assert.Single(_fixture.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains("belongs to user id 12345", warning.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _fixture.Dispose();
}
