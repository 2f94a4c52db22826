using System.Text;
using Spindle.Core;
using Xunit;

namespace Spindle.Conformance;

/// <summary>
/// Every behavioural fact a key-value backend must satisfy (spec: "Semantics Spindle commits to"). A backend's test
/// project derives one sealed class per configuration and supplies <see cref="CreateManager"/>. Stores are opened
/// through a <see cref="StoreRegistry"/>, as the host and CLI do, so limits are checked on every backend too.
/// </summary>
public abstract partial class KeyValueStoreConformance : IDisposable
{
    /// <summary>Small limits so the limit tests stay fast.</summary>
    protected static readonly KeyValueLimits TestLimits = new() { MaxKeyBytes = 256, MaxValueBytes = 64 * 1024 };

    private readonly Lazy<StoreRegistry> _registry;
    private readonly Lazy<IKeyValueStoreManager> _manager;
    private int _labels;

    protected KeyValueStoreConformance()
    {
        _manager = new(CreateManager);
        _registry = new(() =>
        {
            var registry = new StoreRegistry(TestLimits);
            registry.Add("test", _manager.Value);
            registry.Add("other", _manager.Value);
            return registry;
        });
    }

    /// <summary>The store under test, label <c>test</c>.</summary>
    protected IKeyValueStore Store => _registry.Value.Open("test");

    /// <summary>A second label on the same backend.</summary>
    protected IKeyValueStore OtherStore => _registry.Value.Open("other");

    /// <summary>Creates the backend under test, empty.</summary>
    protected abstract IKeyValueStoreManager CreateManager();

    /// <summary>Opens a fresh, empty label directly on the backend (without limits), for property tests.</summary>
    protected IKeyValueStore FreshStore() => _manager.Value.Open($"fresh{Interlocked.Increment(ref _labels)}");

    [Fact]
    public void Get_returns_null_when_key_missing() => Assert.Null(Store.Get("missing"));

    [Fact]
    public void Set_then_get_returns_the_same_bytes()
    {
        byte[] value = [0, 1, 2, 255, 0x80, 0];
        Store.Set("k", value);
        Assert.Equal(value, Store.Get("k"));
    }

    [Fact]
    public void Set_replaces_the_previous_value()
    {
        Store.Set("k", "one"u8.ToArray());
        Store.Set("k", "two"u8.ToArray());
        Assert.Equal("two"u8.ToArray(), Store.Get("k"));
    }

    [Fact]
    public void Empty_value_is_a_value()
    {
        Store.Set("empty", []);
        Assert.Equal(Array.Empty<byte>(), Store.Get("empty"));
        Assert.True(Store.Exists("empty"));
    }

    [Fact]
    public void Empty_and_unicode_keys_round_trip()
    {
        string[] keys = ["", " ", "a/b:c", "ключ", "键", "😀", "\uE000", "nul\0inside", "tab\tand\nnewline"];
        foreach (var key in keys)
        {
            Store.Set(key, Encoding.UTF8.GetBytes("v" + key));
        }

        foreach (var key in keys)
        {
            Assert.Equal(Encoding.UTF8.GetBytes("v" + key), Store.Get(key));
        }
    }

    [Fact]
    public void Keys_are_case_sensitive()
    {
        Store.Set("Key", [1]);
        Assert.Null(Store.Get("key"));
        Assert.False(Store.Exists("KEY"));
    }

    [Fact]
    public void Returned_value_is_a_copy()
    {
        Store.Set("k", [1, 2, 3]);
        var first = Store.Get("k")!;
        first[0] = 9;
        Assert.Equal([1, 2, 3], Store.Get("k"));
    }

    [Fact]
    public void Delete_removes_the_key()
    {
        Store.Set("k", [1]);
        Store.Delete("k");
        Assert.Null(Store.Get("k"));
        Assert.False(Store.Exists("k"));
    }

    [Fact]
    public void Delete_of_missing_key_succeeds() => Store.Delete("never-set");

    [Fact]
    public void Exists_reports_presence()
    {
        Assert.False(Store.Exists("k"));
        Store.Set("k", [1]);
        Assert.True(Store.Exists("k"));
    }

    [Fact]
    public void Labels_do_not_share_keys()
    {
        Store.Set("shared-name", [1]);
        Assert.Null(OtherStore.Get("shared-name"));
        OtherStore.Set("shared-name", [2]);
        Assert.Equal([1], Store.Get("shared-name"));
        Assert.Equal(["shared-name"], Store.ListKeys().Keys);
    }

    [Fact]
    public void ListKeys_returns_all_keys_in_utf8_byte_order()
    {
        // UTF-8 order puts U+E000 before U+1F600; UTF-16 ordinal order would not.
        string[] keys = ["b", "a", "ab", "", "😀", "\uE000", "Z", "é"];
        foreach (var key in keys)
        {
            Store.Set(key, [1]);
        }

        var expected = keys.OrderBy(k => Encoding.UTF8.GetBytes(k), ByteArrayComparer.Instance).ToArray();
        var page = Store.ListKeys();
        Assert.Equal(expected, page.Keys);
        Assert.Null(page.Cursor);
    }

    [Fact]
    public void ListKeys_of_empty_store_is_empty()
    {
        var page = Store.ListKeys();
        Assert.Empty(page.Keys);
        Assert.Null(page.Cursor);
    }

    [Fact]
    public void ListKeys_filters_by_prefix()
    {
        foreach (var key in new[] { "user:1", "user:2", "user", "users", "usr:1", "a", "user:10" })
        {
            Store.Set(key, [1]);
        }

        Assert.Equal(["user:1", "user:10", "user:2"], Store.ListKeys("user:").Keys);
        Assert.Equal(["user", "user:1", "user:10", "user:2", "users"], Store.ListKeys("user").Keys);
        Assert.Empty(Store.ListKeys("zzz").Keys);
    }

    [Fact]
    public void ListKeys_pages_with_a_cursor()
    {
        var keys = Enumerable.Range(0, 25).Select(i => $"k{i:D3}").ToArray();
        foreach (var key in keys)
        {
            Store.Set(key, [1]);
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = Store.ListKeys(cursor: cursor, limit: 10);
            Assert.True(page.Keys.Count <= 10);
            seen.AddRange(page.Keys);
            cursor = page.Cursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(keys, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public void ListKeys_last_full_page_has_no_cursor()
    {
        for (var i = 0; i < 10; i++)
        {
            Store.Set($"k{i}", [1]);
        }

        var page = Store.ListKeys(limit: 10);
        Assert.Equal(10, page.Keys.Count);
        Assert.Null(page.Cursor);
    }

    [Fact]
    public void ListKeys_pages_within_a_prefix()
    {
        foreach (var key in new[] { "a", "p1", "p2", "p3", "p4", "p5", "q" })
        {
            Store.Set(key, [1]);
        }

        var first = Store.ListKeys("p", limit: 2);
        Assert.Equal(["p1", "p2"], first.Keys);
        var second = Store.ListKeys("p", first.Cursor, limit: 2);
        Assert.Equal(["p3", "p4"], second.Keys);
        var third = Store.ListKeys("p", second.Cursor, limit: 2);
        Assert.Equal(["p5"], third.Keys);
        Assert.Null(third.Cursor);
    }

    [Fact]
    public void ListKeys_returns_every_key_once_while_keys_are_added_and_removed()
    {
        var original = Enumerable.Range(0, 30).Select(i => $"k{i:D2}").ToList();
        foreach (var key in original)
        {
            Store.Set(key, [1]);
        }

        var seen = new List<string>();
        string? cursor = null;
        var round = 0;
        do
        {
            var page = Store.ListKeys(cursor: cursor, limit: 7);
            seen.AddRange(page.Keys);
            cursor = page.Cursor;

            // Between pages: add keys before and after the cursor, and delete the key just returned.
            Store.Set($"k{round:D2}+new", [1]);
            Store.Set($"z{round}", [1]);
            if (page.Keys.Count > 0)
            {
                Store.Delete(page.Keys[^1]);
            }

            round++;
        }
        while (cursor is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(original, key => Assert.Contains(key, seen));
    }

    [Fact]
    public void ListKeys_rejects_a_forged_cursor()
    {
        var ex = Assert.Throws<KeyValueException>(() => Store.ListKeys(cursor: "not-a-cursor"));
        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains("cursor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetMany_returns_entries_in_request_order_with_null_for_missing()
    {
        Store.Set("a", [1]);
        Store.Set("c", [3]);
        var result = Store.GetMany(["c", "missing", "a"]);
        Assert.Equal(["c", "missing", "a"], result.Select(r => r.Key));
        Assert.Equal([3], result[0].Value);
        Assert.Null(result[1].Value);
        Assert.Equal([1], result[2].Value);
    }

    [Fact]
    public void SetMany_and_DeleteMany_apply_every_entry()
    {
        Store.SetMany([new("a", [1]), new("b", [2]), new("c", [3])]);
        Assert.Equal([2], Store.Get("b"));
        Store.DeleteMany(["a", "c", "missing"]);
        Assert.Equal(["b"], Store.ListKeys().Keys);
    }

    [Fact]
    public void Increment_starts_from_zero_and_stores_ascii_decimal()
    {
        Assert.Equal(5, Store.Increment("n", 5));
        Assert.Equal(2, Store.Increment("n", -3));
        Assert.Equal("2"u8.ToArray(), Store.Get("n"));
        Assert.Equal(-8, Store.Increment("neg", -8));
        Assert.Equal("-8"u8.ToArray(), Store.Get("neg"));
    }

    [Fact]
    public void Increment_continues_a_counter_set_as_text()
    {
        Store.Set("n", "41"u8.ToArray());
        Assert.Equal(42, Store.Increment("n", 1));
    }

    [Fact]
    public void Increment_of_non_integer_value_is_an_error_and_keeps_the_value()
    {
        Store.Set("n", "hello"u8.ToArray());
        var ex = Assert.Throws<KeyValueException>(() => Store.Increment("n", 1));
        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains("not a decimal", ex.Message, StringComparison.Ordinal);
        Assert.Equal("hello"u8.ToArray(), Store.Get("n"));
    }

    [Fact]
    public void Increment_of_eight_byte_binary_value_is_an_error()
    {
        // What Spin's SQLite store writes (little-endian i64); Spin panics on anything else, we report an error.
        Store.Set("n", BitConverter.GetBytes(7L));
        Assert.Throws<KeyValueException>(() => Store.Increment("n", 1));
    }

    [Fact]
    public void Increment_overflow_is_an_error_and_keeps_the_value()
    {
        Store.Set("n", Encoding.ASCII.GetBytes(long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var ex = Assert.Throws<KeyValueException>(() => Store.Increment("n", 1));
        Assert.Contains("overflow", ex.Message, StringComparison.Ordinal);
        Assert.Equal(long.MaxValue, Store.Increment("n", 0));
    }

    [Fact]
    public void Concurrent_increments_are_not_lost()
    {
        const int Threads = 8;
        const int PerThread = 50;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                Store.Increment("counter", 1);
            }
        });
        Assert.Equal(Threads * PerThread, Store.Increment("counter", 0));
    }

    [Fact]
    public void Swap_succeeds_when_key_unchanged()
    {
        Store.Set("k", [1]);
        var current = Store.GetVersioned("k");
        Assert.Equal([1], current.Value);
        Assert.True(Store.TrySwap("k", current.Version, [2]));
        Assert.Equal([2], Store.Get("k"));
    }

    [Fact]
    public void Swap_fails_when_key_changed()
    {
        Store.Set("k", [1]);
        var current = Store.GetVersioned("k");
        Store.Set("k", [5]);
        Assert.False(Store.TrySwap("k", current.Version, [2]));
        Assert.Equal([5], Store.Get("k"));
    }

    [Fact]
    public void Swap_fails_after_an_A_B_A_change()
    {
        Store.Set("k", [1]);
        var current = Store.GetVersioned("k");
        Store.Set("k", [2]);
        Store.Set("k", [1]);
        Assert.False(Store.TrySwap("k", current.Version, [3]));
        Assert.Equal([1], Store.Get("k"));
    }

    [Fact]
    public void Swap_fails_after_delete_and_recreate()
    {
        Store.Set("k", [1]);
        var current = Store.GetVersioned("k");
        Store.Delete("k");
        Store.Set("k", [1]);
        Assert.False(Store.TrySwap("k", current.Version, [3]));
    }

    [Fact]
    public void Swap_on_absent_key_inserts_only_if_still_absent()
    {
        var current = Store.GetVersioned("k");
        Assert.Null(current.Value);
        Assert.Null(current.Version);
        Store.Set("k", [7]);
        Assert.False(Store.TrySwap("k", current.Version, [1]));
        Assert.Equal([7], Store.Get("k"));

        var absent = Store.GetVersioned("fresh");
        Assert.True(Store.TrySwap("fresh", absent.Version, [1]));
        Assert.Equal([1], Store.Get("fresh"));
    }

    [Fact]
    public void Swap_fails_when_key_deleted()
    {
        Store.Set("k", [1]);
        var current = Store.GetVersioned("k");
        Store.Delete("k");
        Assert.False(Store.TrySwap("k", current.Version, [2]));
        Assert.Null(Store.Get("k"));
    }

    [Fact]
    public void Only_one_of_two_racing_swaps_wins()
    {
        // Issue #6: two threads really race. Each round both hold the same version, spin until released together and
        // swap at once; exactly one may win. Odd rounds race two creates (no version) of a missing key. The main thread
        // blocks in Join rather than spinning, so that the racers get the cores.
        const int Rounds = 200;
        var timeout = TimeSpan.FromSeconds(30);
        var store = Store;
        for (var round = 0; round < Rounds; round++)
        {
            string? version = null;
            if (round % 2 == 0)
            {
                store.Set("race", [0]);
                version = store.GetVersioned("race").Version;
            }
            else
            {
                store.Delete("race");
            }

            var ready = 0;
            var go = false;
            var wins = new bool[2];
            var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            void Race(object? index)
            {
                var racer = (int)index!;
                Interlocked.Increment(ref ready);
                while (!Volatile.Read(ref go))
                {
                    Thread.SpinWait(1);
                }

                try
                {
                    wins[racer] = store.TrySwap("race", version, [(byte)(racer + 1)]);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }
            }

            var racers = new Thread[2];
            for (var racer = 0; racer < racers.Length; racer++)
            {
                racers[racer] = new Thread(Race) { IsBackground = true };
                racers[racer].Start(racer);
            }

            var spin = default(SpinWait);
            var started = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref ready) < 2)
            {
                Assert.True(started.Elapsed < timeout, $"round {round}: the racers did not start within {timeout.TotalSeconds:0} s");
                spin.SpinOnce();
            }

            Volatile.Write(ref go, true);
            foreach (var racer in racers)
            {
                Assert.True(racer.Join(timeout), $"round {round}: a swap did not finish within {timeout.TotalSeconds:0} s");
            }

            Assert.Empty(errors);
            Assert.True(wins.Count(w => w) == 1, $"round {round}: {wins.Count(w => w)} of two racing swaps won");
            Assert.Equal(new[] { (byte)(Array.IndexOf(wins, true) + 1) }, store.Get("race"));
        }
    }

    [Fact]
    public void Concurrent_cas_loops_lose_no_update()
    {
        const int Threads = 4;
        const int PerThread = 25;
        Store.Set("cas", "0"u8.ToArray());
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                while (true)
                {
                    var current = Store.GetVersioned("cas");
                    var next = long.Parse(Encoding.ASCII.GetString(current.Value!), System.Globalization.CultureInfo.InvariantCulture) + 1;
                    if (Store.TrySwap("cas", current.Version, Encoding.ASCII.GetBytes(next.ToString(System.Globalization.CultureInfo.InvariantCulture))))
                    {
                        break;
                    }
                }
            }
        });
        Assert.Equal(Encoding.ASCII.GetBytes((Threads * PerThread).ToString(System.Globalization.CultureInfo.InvariantCulture)), Store.Get("cas"));
    }

    [Fact]
    public void Key_at_the_limit_is_accepted()
    {
        var key = new string('k', TestLimits.MaxKeyBytes);
        Store.Set(key, [1]);
        Assert.Equal([1], Store.Get(key));
    }

    [Fact]
    public void Key_over_the_limit_fails_naming_the_limit_and_writes_nothing()
    {
        var key = new string('é', TestLimits.MaxKeyBytes / 2 + 1); // 2 UTF-8 bytes per character
        var ex = Assert.Throws<KeyValueException>(() => Store.Set(key, [1]));
        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains($"key size limit of {TestLimits.MaxKeyBytes} bytes", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Store.ListKeys().Keys);
    }

    [Fact]
    public void Value_at_the_limit_is_accepted()
    {
        var value = new byte[TestLimits.MaxValueBytes];
        Random.Shared.NextBytes(value);
        Store.Set("big", value);
        Assert.Equal(value, Store.Get("big"));
    }

    [Fact]
    public void Value_over_the_limit_fails_naming_the_limit_and_writes_nothing()
    {
        Store.Set("big", [1]);
        var ex = Assert.Throws<KeyValueException>(() => Store.Set("big", new byte[TestLimits.MaxValueBytes + 1]));
        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains($"value size limit of {TestLimits.MaxValueBytes} bytes", ex.Message, StringComparison.Ordinal);
        Assert.Equal([1], Store.Get("big"));
    }

    [Fact]
    public void SetMany_with_one_oversized_value_writes_nothing()
    {
        Assert.Throws<KeyValueException>(() => Store.SetMany([new("ok", [1]), new("big", new byte[TestLimits.MaxValueBytes + 1])]));
        Assert.Null(Store.Get("ok"));
    }

    [Fact]
    public void Default_limits_accept_256_byte_keys_and_1_MiB_values()
    {
        // Not disposed: it shares the backend with this test's registry, which disposes it.
        var registry = new StoreRegistry();
        registry.Add("big", _manager.Value);
        var store = registry.Open("big");
        var key = new string('k', 256);
        var value = new byte[1024 * 1024];
        Random.Shared.NextBytes(value);
        store.Set(key, value);
        Assert.Equal(value, store.Get(key));
        store.Delete(key);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing && _registry.IsValueCreated)
        {
            _registry.Value.Dispose();
        }
        else if (disposing && _manager.IsValueCreated && _manager.Value is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    private sealed class ByteArrayComparer : IComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
