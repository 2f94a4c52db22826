using Wasmtime;

namespace Spindle.Components.Tests;

// Issue #9 (throughput): the pages a component's instances write are learned and made writable before the next
// instance runs (MemoryWorkingSet.cs), which must change nothing a guest can see.
public sealed class WorkingSetTests : IDisposable
{
    private readonly Engine _engine = new();

    public void Dispose() => _engine.Dispose();

    [Fact]
    public void Pages_earlier_instances_wrote_are_writable_before_a_new_instance_runs_and_each_instance_still_sees_the_image()
    {
        Assert.SkipUnless(MemoryWorkingSet.Available, "needs Linux 5.14 or later with /proc/self/pagemap");
        var path = Path.Combine(AppContext.BaseDirectory, "wasm", "components", "image-pages.wasm");
        using var component = Component.Load(_engine, File.ReadAllBytes(path), new HostDefinitions());

        // The first instance starts on the untouched image: page 3 is the image's until the guest writes it.
        Run(component, instance =>
        {
            Assert.DoesNotContain(3, Written(instance));
            Assert.Equal(3u, instance.GetFunction("touch")!.Invoke(3u));
            Assert.Contains(3, Written(instance));
            Assert.Equal(1003u, instance.GetFunction("read")!.Invoke(3u));
        });

        // Instances that each write pages 3 and 9 see the image's values, never an earlier instance's writes.
        for (var i = 0; i < 20; i++)
        {
            Run(component, instance =>
            {
                Assert.Equal(3u, instance.GetFunction("touch")!.Invoke(3u));
                Assert.Equal(9u, instance.GetFunction("touch")!.Invoke(9u));
            });
        }

        // A new instance has pages 3 and 9 writable before it runs, with the image's contents; page 5, never written,
        // is still the image's page.
        Run(component, instance =>
        {
            var written = Written(instance);
            Assert.Contains(3, written);
            Assert.Contains(9, written);
            Assert.DoesNotContain(5, written);
            Assert.Equal(3u, instance.GetFunction("read")!.Invoke(3u));
            Assert.Equal(9u, instance.GetFunction("touch")!.Invoke(9u));
            Assert.Equal(5u, instance.GetFunction("read")!.Invoke(5u));
            Assert.DoesNotContain(5, Written(instance));
        });
    }

    [Fact]
    public void A_page_that_instances_stop_writing_leaves_the_working_set()
    {
        Assert.SkipUnless(MemoryWorkingSet.Available, "needs Linux 5.14 or later with /proc/self/pagemap");
        var path = Path.Combine(AppContext.BaseDirectory, "wasm", "components", "image-pages.wasm");
        using var component = Component.Load(_engine, File.ReadAllBytes(path), new HostDefinitions());

        // The first 16 instances are observed; the last of them writes pages 3 and 11 (a request that did more), the
        // others page 3 only.
        void Touch3() => Run(component, instance => instance.GetFunction("touch")!.Invoke(3u));
        for (var i = 0; i < 15; i++)
        {
            Touch3();
        }

        Run(component, instance =>
        {
            instance.GetFunction("touch")!.Invoke(3u);
            instance.GetFunction("touch")!.Invoke(11u);
        });
        Run(component, instance => Assert.Equal([3, 11], Written(instance).Intersect([3, 11]).Order()));

        // Up to instance 512: eight more observed instances (one in 64), none writing page 11, which then drops out.
        for (var n = 18; n <= 512; n++)
        {
            Touch3();
        }

        Run(component, instance =>
        {
            var written = Written(instance);
            Assert.Contains(3, written);
            Assert.DoesNotContain(11, written);
        });
    }

    private void Run(Component component, Action<ComponentInstance> action)
    {
        using var store = new Store(_engine);
        using var instance = component.Instantiate(store);
        action(instance);
    }

    private static List<int> Written(ComponentInstance instance) =>
        MemoryWorkingSet.WrittenPages(Assert.Single(instance.LinearMemories.ToArray())) ?? throw new InvalidOperationException("pagemap unreadable");
}
