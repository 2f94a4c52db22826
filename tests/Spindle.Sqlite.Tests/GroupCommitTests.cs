using System.Diagnostics;
using System.Text;
using Spindle.Core;

namespace Spindle.Sqlite.Tests;

/// <summary>
/// Issue #10 (item 1): every write of a database goes through one writer that commits whatever has queued in one
/// transaction. Another process holding the write lock (python3's sqlite3, <see cref="SqliteLockHolder"/>) stops the
/// first batch, so the tests can line writes up behind it in a known order, then let them through.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _folder = new();

    private string DbPath => Path.Combine(_folder.Path, "kv.db");

    public void Dispose() => _folder.Dispose();

    // Issue #10
    [Fact]
    public async Task Writes_queued_behind_a_running_batch_are_committed_together_in_one_transaction()
    {
        using var database = Open();
        var store = database.Open("default");
        Task first;
        Task[] queued;
        long commitsBefore;
        using (var holder = await HoldLockAsync())
        {
            commitsBefore = database.Writes.Commits;
            first = OnThread(() => store.Set("first", [1]));
            await WaitUntilAsync(() => database.Writes.Leading && database.Writes.Queued == 0, "the first write to be taken by a batch");
            queued = Enumerable.Range(0, 19).Select(i => OnThread(() => store.Set($"k{i}", [(byte)i]))).ToArray();
            await WaitUntilAsync(() => database.Writes.Queued == 19, "19 writes to queue behind the first");
        }

        await Task.WhenAll([first, .. queued]).WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(2, database.Writes.Commits - commitsBefore); // the first alone, then the 19 in one commit
        Assert.Equal([1], store.Get("first"));
        for (var i = 0; i < 19; i++)
        {
            Assert.Equal([(byte)i], store.Get($"k{i}")!);
        }
    }

    // Issue #10
    [Fact]
    public async Task Writes_of_one_batch_run_in_order_and_a_failing_one_fails_alone()
    {
        using var database = Open();
        var store = database.Open("default");
        store.Set("text", "abc"u8.ToArray());
        store.Set("c", "start"u8.ToArray());
        var version = store.GetVersioned("c").Version;

        var increments = new List<Task<long>>();
        Task<bool> firstSwap, secondSwap;
        Task<KeyValueException> notACounter;
        Task after;
        long commitsBefore;
        using (var holder = await HoldLockAsync())
        {
            commitsBefore = database.Writes.Commits;
            var leader = OnThread(() => store.Set("leader", [0]));
            await WaitUntilAsync(() => database.Writes.Leading && database.Writes.Queued == 0, "the leader to be taken by a batch");

            // Queued one at a time, so the batch's order is known.
            var expected = 0;
            Task<T> Queue<T>(Func<T> write)
            {
                var task = OnThread(write);
                expected++;
                return task;
            }

            for (var i = 0; i < 3; i++)
            {
                increments.Add(Queue(() => store.Increment("n", 1)));
                await WaitUntilAsync(() => database.Writes.Queued == expected, $"write {expected} to queue");
            }

            notACounter = Queue(() => Assert.Throws<KeyValueException>(() => store.Increment("text", 1)));
            await WaitUntilAsync(() => database.Writes.Queued == expected, $"write {expected} to queue");
            firstSwap = Queue(() => store.TrySwap("c", version, "a"u8.ToArray()));
            await WaitUntilAsync(() => database.Writes.Queued == expected, $"write {expected} to queue");
            secondSwap = Queue(() => store.TrySwap("c", version, "b"u8.ToArray()));
            await WaitUntilAsync(() => database.Writes.Queued == expected, $"write {expected} to queue");
            increments.Add(Queue(() => store.Increment("n", 10)));
            await WaitUntilAsync(() => database.Writes.Queued == expected, $"write {expected} to queue");
            after = Queue(() =>
            {
                store.Set("after", [9]);
                return true;
            });
            await WaitUntilAsync(() => database.Writes.Queued == expected, $"write {expected} to queue");
        }

        var cancel = TestContext.Current.CancellationToken;
        var counted = await Task.WhenAll(increments).WaitAsync(Patience, cancel);
        Assert.Equal([1L, 2L, 3L, 13L], counted);
        Assert.Contains("is not a decimal 64-bit integer", (await notACounter.WaitAsync(Patience, cancel)).Message, StringComparison.Ordinal);
        Assert.True(await firstSwap.WaitAsync(Patience, cancel));
        Assert.False(await secondSwap.WaitAsync(Patience, cancel)); // the first swap of the batch changed the version
        await after.WaitAsync(Patience, cancel);

        Assert.Equal(2, database.Writes.Commits - commitsBefore); // the leader, then all seven in one transaction
        Assert.Equal("13", Encoding.ASCII.GetString(store.Get("n")!));
        Assert.Equal("abc", Encoding.ASCII.GetString(store.Get("text")!));
        Assert.Equal("a", Encoding.ASCII.GetString(store.Get("c")!));
        Assert.Equal([9], store.Get("after"));
    }

    // Issue #10
    [Fact]
    public async Task A_write_whose_deadline_passes_while_queued_fails_unstarted_and_writes_nothing()
    {
        using var database = Open();
        var store = database.Open("default");
        Task leader;
        Task<KeyValueException> late;
        using (var holder = await HoldLockAsync())
        {
            leader = OnThread(() => store.Set("leader", [1]));
            await WaitUntilAsync(() => database.Writes.Leading && database.Writes.Queued == 0, "the leader to be taken by a batch");
            late = OnThread(() =>
            {
                using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(1)))
                {
                    return Assert.Throws<KeyValueException>(() => store.Set("late", [2]));
                }
            });

            // The lock is still held: the late write must give up on its own, by its deadline.
            var ex = await late.WaitAsync(Patience, TestContext.Current.CancellationToken);
            Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
            Assert.Contains("was not started", ex.Message, StringComparison.Ordinal);
            Assert.Equal(0, database.Writes.Queued);
        }

        await leader.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal([1], store.Get("leader"));
        Assert.Null(store.Get("late"));
    }

    // Issue #10
    [Fact]
    public async Task A_write_in_a_running_batch_waits_past_its_deadline_for_the_commit_and_succeeds()
    {
        using var database = Open();
        var store = database.Open("default");
        var secondDeadline = TimeSpan.FromSeconds(6);
        Task<KeyValueException> first;
        Task second, third;
        using (var holder = await HoldLockAsync())
        {
            var started = Stopwatch.StartNew();
            // The first batch holds only the first write, which gives up at its deadline (2 s); the batch after it
            // holds the other two and keeps waiting for the lock on behalf of the third, which has no deadline.
            first = OnThread(() =>
            {
                using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(2)))
                {
                    return Assert.Throws<KeyValueException>(() => store.Set("first", [1]));
                }
            });
            await WaitUntilAsync(() => database.Writes.Leading && database.Writes.Queued == 0, "the first write to be taken by a batch");
            third = OnThread(() => store.Set("third", [3]));
            await WaitUntilAsync(() => database.Writes.Queued == 1, "the third write to queue");
            second = OnThread(() =>
            {
                using (KeyValueDeadline.Enter(secondDeadline - started.Elapsed))
                {
                    store.Set("second", [2]);
                }
            });
            await WaitUntilAsync(() => database.Writes.Queued == 2, "the second write to queue");

            Assert.Contains("deadline passed while waiting", (await first.WaitAsync(Patience, TestContext.Current.CancellationToken)).Message, StringComparison.Ordinal);
            await WaitUntilAsync(() => database.Writes.Queued == 0, "the next batch to take both");
            await WaitUntilAsync(() => started.Elapsed > secondDeadline + TimeSpan.FromSeconds(0.3), "the second write's deadline to pass");
            Assert.False(second.IsCompleted, "a write in a running batch was completed before the batch ended");
        }

        await Task.WhenAll(second, third).WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal([2], store.Get("second"));
        Assert.Equal([3], store.Get("third"));
        Assert.Null(store.Get("first"));
    }

    // Issue #10
    [Fact]
    public async Task When_the_leader_gives_up_on_the_lock_the_other_writes_of_its_batch_are_queued_again()
    {
        using var database = Open();
        var store = database.Open("default");
        Task<KeyValueException> first, second;
        Task third;
        using (var holder = await HoldLockAsync())
        {
            first = OnThread(() =>
            {
                using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(2)))
                {
                    return Assert.Throws<KeyValueException>(() => store.Set("first", [1]));
                }
            });
            await WaitUntilAsync(() => database.Writes.Leading && database.Writes.Queued == 0, "the first write to be taken by a batch");
            second = OnThread(() =>
            {
                using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(4)))
                {
                    return Assert.Throws<KeyValueException>(() => store.Set("second", [2]));
                }
            });
            await WaitUntilAsync(() => database.Writes.Queued == 1, "the second write to queue");
            third = OnThread(() => store.Set("third", [3]));
            await WaitUntilAsync(() => database.Writes.Queued == 2, "the third write to queue");

            // The second leads a batch of two and gives up at its own deadline; the third, with time left, goes on.
            await first.WaitAsync(Patience, TestContext.Current.CancellationToken);
            var ex = await second.WaitAsync(Patience, TestContext.Current.CancellationToken);
            Assert.Contains("deadline passed while waiting", ex.Message, StringComparison.Ordinal);
            Assert.False(third.IsCompleted, "the third write ended with the batch whose leader gave up");
            await WaitUntilAsync(() => database.Writes.Queued == 0, "the third write to lead its own batch");
        }

        await third.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal([3], store.Get("third"));
        Assert.Null(store.Get("second"));
    }

    // Issue #10: a failure of the batch itself (here SQLITE_FULL, from a page limit on the writer connection) fails
    // only the write that caused it: the others of the batch are run again on their own and committed.
    [Fact]
    public async Task A_write_that_fills_the_disk_fails_alone_and_the_rest_of_its_batch_is_committed()
    {
        using var database = Open();
        var store = database.Open("default");
        using (var limit = database.Writes.Connection!.Connection.CreateCommand())
        {
            limit.CommandText = "PRAGMA page_count";
            var pages = (long)limit.ExecuteScalar()!;
            limit.CommandText = $"PRAGMA max_page_count = {pages + 64}"; // 256 KiB more at 4 KiB pages
            limit.ExecuteNonQuery();
        }

        Task small1, small2;
        Task<KeyValueException> big;
        using (var holder = await HoldLockAsync())
        {
            var leader = OnThread(() => store.Set("leader", [0]));
            await WaitUntilAsync(() => database.Writes.Leading && database.Writes.Queued == 0, "the leader to be taken by a batch");
            small1 = OnThread(() => store.Set("small1", [1]));
            await WaitUntilAsync(() => database.Writes.Queued == 1, "the first small write to queue");
            big = OnThread(() => Assert.Throws<KeyValueException>(() => store.Set("big", new byte[1024 * 1024])));
            await WaitUntilAsync(() => database.Writes.Queued == 2, "the big write to queue");
            small2 = OnThread(() => store.Set("small2", [2]));
            await WaitUntilAsync(() => database.Writes.Queued == 3, "the second small write to queue");
        }

        var ex = await big.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains("the disk is full", ex.Message, StringComparison.Ordinal);
        await Task.WhenAll(small1, small2).WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal([1], store.Get("small1"));
        Assert.Equal([2], store.Get("small2"));
        Assert.Null(store.Get("big"));
    }

    // Issue #10: before group commit each concurrent writer rented a connection of its own (~250 for 256 writers).
    [Fact]
    public void Two_hundred_fifty_six_concurrent_writers_share_one_connection()
    {
        const int Writers = 256;
        using var database = Open();
        var store = database.Open("default");
        using var stop = new CancellationTokenSource();
        var peakFiles = 0;
        var sampler = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakFiles = Math.Max(peakFiles, OpenHandles(DbPath));
                Thread.Sleep(1);
            }
        });
        sampler.Start();

        using var ready = new Barrier(Writers);
        var threads = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
        {
            ready.SignalAndWait();
            for (var i = 0; i < 10; i++)
            {
                store.Set($"w{w}-{i}", [(byte)i]);
            }

            store.Increment("total", 1);
        }, maxStackSize: 256 * 1024)).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        stop.Cancel();
        sampler.Join();

        Assert.Equal("256", Encoding.ASCII.GetString(store.Get("total")!));
        Assert.Equal([9], store.Get("w255-9"));
        Assert.True(database.PeakConnections <= 2, $"{database.PeakConnections} connections were open at once under {Writers} writers");
        if (OperatingSystem.IsLinux())
        {
            Assert.True(peakFiles <= 3, $"the database file was open {peakFiles} times at once under {Writers} writers");
        }

        Assert.True(database.Writes.Commits < database.Writes.CommittedWrites, "no two writes shared a commit");
    }

    private static int OpenHandles(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == path)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // closed while we looked
            }
        }

        return count;
    }

    private SqliteDatabase Open()
    {
        // A long lock wait: only the deadlines in each test end a wait, never the lock wait.
        var database = SqliteDatabase.OpenFile(DbPath, Patience);
        database.Open("default").Set("schema", [0]); // create the schema before the lock is taken
        return database;
    }

    private Task<SqliteLockHolder> HoldLockAsync() =>
        SqliteLockHolder.StartAsync(DbPath, "BEGIN IMMEDIATE", TestContext.Current.CancellationToken, "UPDATE spin_key_value SET value = x'00' WHERE key = 'schema'");

    private static Task OnThread(Action write) => Task.Factory.StartNew(write, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static Task<T> OnThread<T>(Func<T> write) => Task.Factory.StartNew(write, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, $"timed out waiting for {what}");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
