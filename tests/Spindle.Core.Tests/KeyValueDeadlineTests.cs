using Xunit;

namespace Spindle.Core.Tests;

// Issue #7 (item 1): the request's deadline reaches every store call.
public sealed class KeyValueDeadlineTests
{
    [Fact]
    public void Without_a_scope_there_is_no_deadline_and_waits_keep_their_length()
    {
        Assert.False(KeyValueDeadline.IsSet);
        Assert.Null(KeyValueDeadline.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(5), KeyValueDeadline.Bound(TimeSpan.FromSeconds(5)));
        Assert.Equal(Timeout.InfiniteTimeSpan, KeyValueDeadline.Bound(Timeout.InfiniteTimeSpan));
        KeyValueDeadline.ThrowIfPassed("get", "default");
    }

    [Fact]
    public void A_scope_shortens_waits_to_the_time_left_and_ends_with_the_scope()
    {
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(2)))
        {
            Assert.True(KeyValueDeadline.IsSet);
            var bound = KeyValueDeadline.Bound(TimeSpan.FromSeconds(5));
            Assert.InRange(bound, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
            Assert.Equal(TimeSpan.FromMilliseconds(10), KeyValueDeadline.Bound(TimeSpan.FromMilliseconds(10)));
            Assert.InRange(KeyValueDeadline.Bound(Timeout.InfiniteTimeSpan), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        }

        Assert.False(KeyValueDeadline.IsSet);
    }

    [Fact]
    public void A_nested_scope_never_extends_the_outer_deadline()
    {
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(1)))
        {
            using (KeyValueDeadline.Enter(TimeSpan.FromHours(1)))
            {
                Assert.True(KeyValueDeadline.Remaining <= TimeSpan.FromSeconds(1));
            }

            Assert.True(KeyValueDeadline.IsSet);
        }
    }

    [Fact]
    public void The_deadline_belongs_to_the_thread_that_set_it()
    {
        using var scope = KeyValueDeadline.Enter(TimeSpan.Zero);
        var other = true;
        var thread = new Thread(() => other = KeyValueDeadline.IsSet);
        thread.Start();
        thread.Join();

        Assert.False(other);
        Assert.Equal(TimeSpan.Zero, KeyValueDeadline.Remaining);
    }

    [Fact]
    public void No_store_call_starts_after_the_deadline()
    {
        using var registry = new StoreRegistry();
        registry.Add("default", new InMemoryStoreManager());
        var store = registry.Open("default");
        store.Set("k", "v"u8.ToArray());

        using (KeyValueDeadline.Enter(TimeSpan.Zero))
        {
            var ex = Assert.Throws<KeyValueException>(() => store.Get("k"));
            Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
            Assert.Contains("deadline has passed", ex.Message, StringComparison.Ordinal);
            Assert.Throws<KeyValueException>(() => store.Set("k", "w"u8.ToArray()));
            Assert.Throws<KeyValueException>(() => store.ListKeys());
            Assert.Throws<KeyValueException>(() => store.Increment("n", 1));
        }

        Assert.Equal("v"u8.ToArray(), store.Get("k"));
    }

    [Fact]
    public async Task A_label_that_is_slow_to_open_does_not_hold_up_the_others()
    {
        using var release = new ManualResetEventSlim();
        using var registry = new StoreRegistry();
        var slow = new SlowManager(release);
        registry.Add("slow", slow);
        registry.Add("default", new InMemoryStoreManager());
        var slowOpen = OnThread(() => registry.Open("slow"));
        Assert.True(slow.Entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        var other = OnThread(() => registry.Open("default"));
        var finished = await Task.WhenAny(other, Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)) == other;
        release.Set();

        Assert.True(finished, "opening 'default' waited for another label's open");
        Assert.Equal("slow", (await slowOpen).Label);
    }

    [Fact]
    public async Task A_caller_waiting_for_its_labels_open_gives_up_at_its_deadline()
    {
        using var release = new ManualResetEventSlim();
        using var registry = new StoreRegistry();
        var slow = new SlowManager(release);
        registry.Add("slow", slow);
        var first = OnThread(() => registry.Open("slow"));
        Assert.True(slow.Entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        using (KeyValueDeadline.Enter(TimeSpan.FromMilliseconds(200)))
        {
            var ex = Assert.Throws<KeyValueException>(() => registry.Open("slow"));
            Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        }

        release.Set();
        Assert.Same(await first, registry.Open("slow"));
    }

    [Fact]
    public void A_failed_open_is_tried_again_by_the_next_call()
    {
        using var registry = new StoreRegistry();
        var manager = new FlakyManager();
        registry.Add("flaky", manager);

        Assert.Throws<KeyValueException>(() => registry.Open("flaky"));
        Assert.Equal("flaky", registry.Open("flaky").Label);
        Assert.Equal(2, manager.Opens);
    }

    // Store calls run on dedicated threads in the host; so do these, never on the thread pool.
    private static Task<T> OnThread<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                completion.SetResult(work());
            }
            catch (Exception ex)
            {
                completion.SetException(ex);
            }
        }).Start();
        return completion.Task;
    }

    private sealed class SlowManager(ManualResetEventSlim release) : IKeyValueStoreManager
    {
        public ManualResetEventSlim Entered { get; } = new();

        public IKeyValueStore Open(string label)
        {
            Entered.Set();
            release.Wait(TimeSpan.FromSeconds(30));
            return new InMemoryStoreManager().Open(label);
        }
    }

    private sealed class FlakyManager : IKeyValueStoreManager
    {
        public int Opens { get; private set; }

        public IKeyValueStore Open(string label) =>
            ++Opens == 1 ? throw new KeyValueException(KeyValueErrorKind.Io, "connection refused") : new InMemoryStoreManager().Open(label);
    }
}
