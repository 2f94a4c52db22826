using System.Runtime.InteropServices;
using Spindle.Components;
using Wasmtime;

namespace Spindle.Host.Tests;

// Issue #9 (throughput): core modules use the same working set as components: the pages earlier instances wrote are
// writable before a new instance runs (read here from /proc/self/pagemap, independently of the code under test), and
// every instance still sees the module's memory image.
public sealed class MemoryWorkingSetTests : IDisposable
{
    private readonly HostFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void A_core_module_instance_starts_with_the_pages_earlier_instances_wrote_already_writable()
    {
        Assert.SkipUnless(MemoryWorkingSet.Available, "needs Linux 5.14 or later with /proc/self/pagemap");
        using var engine = new WasmEngine(loggerFactory: _fixture.LoggerFactory);
        var guest = engine.LoadCoreModule("pages", _fixture.Wasm("image-pages-module"), _fixture.Stores.ForComponent([]));

        // The first instances (observed, so left alone) start on the untouched image and each write page 3.
        for (var i = 0; i < 16; i++)
        {
            guest.Invoke(live =>
            {
                Assert.False(Written(live.Instance, 3));
                Assert.Equal(3, live.Instance.GetFunction<int, int>("touch")!(3));
                return 0;
            });
        }

        // The next one has page 3 writable before it runs, still holding the image's value; page 5 is untouched.
        guest.Invoke(live =>
        {
            Assert.True(Written(live.Instance, 3));
            Assert.False(Written(live.Instance, 5));
            Assert.Equal(3, live.Instance.GetFunction<int, int>("touch")!(3));
            return 0;
        });
    }

    // Whether the module's 4 KiB page (above 1 MiB) is present and private to the instance: written, or populated.
    private static bool Written(Instance instance, int page)
    {
        var memory = instance.GetMemory("memory")!;
        var address = (ulong)memory.GetPointer() + 0x100000 + ((ulong)page * 4096);
        using var pagemap = File.OpenHandle("/proc/self/pagemap", FileMode.Open, FileAccess.Read);
        Span<ulong> entry = stackalloc ulong[1];
        Assert.Equal(8, RandomAccess.Read(pagemap, MemoryMarshal.AsBytes(entry), (long)(address / 4096 * 8)));
        const ulong Present = 1UL << 63, FilePage = 1UL << 61, Exclusive = 1UL << 56;
        return (entry[0] & (Present | FilePage | Exclusive)) == (Present | Exclusive);
    }
}
