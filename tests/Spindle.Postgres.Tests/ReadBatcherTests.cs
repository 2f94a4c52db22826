using System.Diagnostics;
using System.Text;
using Spindle.Core;

namespace Spindle.Postgres.Tests;

/// <summary>Concurrent gets and exists checks share round trips (<see cref="ReadBatcher"/>), each keeping its own answer and deadline.</summary>
[Collection(OutageGroup.Name)]
public sealed class ReadBatcherTests(PostgresServer server) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    [Fact]
    public void Concurrent_reads_share_round_trips_and_each_gets_its_own_answer()
    {
        const int Threads = 16;
        const int ReadsPerThread = 300;
        var database = Open(server.NewTable("batched_reads"), readBatches: 2);
        var labels = new[] { database.Open("first"), database.Open("second") };
        for (var i = 0; i < Threads; i++)
        {
            foreach (var store in labels)
            {
                store.Set($"k{i}", Value(store.Label, i));
            }
        }

        var wrong = new List<string>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (var n = 0; n < ReadsPerThread; n++)
            {
                // Each thread reads its own keys in both labels and one missing key, so a batch mixes labels,
                // statements, hits and misses, and an answer given to the wrong read shows.
                var store = labels[n % 2];
                var i = (t + n) % Threads;
                var got = n % 3 == 2 ? (store.Exists($"missing{i}") ? "present" : null) : Text(store.Get($"k{i}"));
                var expected = n % 3 == 2 ? null : Text(Value(store.Label, i));
                if (got != expected)
                {
                    lock (wrong)
                    {
                        wrong.Add($"{store.Label}/k{i}: {got ?? "(none)"} instead of {expected ?? "(none)"}");
                    }
                }
            }
        })).ToList();
        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());

        Assert.Empty(wrong);
        Assert.Equal(Threads * ReadsPerThread, database.Reads.Reads);

        // With 16 readers and 2 batches at a time, reads must have queued behind running batches and gone out
        // together: fewer round trips than reads.
        Assert.True(
            database.Reads.Batches < database.Reads.Reads * 3 / 4,
            $"{database.Reads.Reads} reads went out in {database.Reads.Batches} batches: round trips were not shared");
    }

    [Fact]
    public void A_read_queued_behind_a_batch_the_server_does_not_answer_fails_by_its_own_deadline()
    {
        var database = Open(server.NewTable("queued_read"), readBatches: 1);
        var store = database.Open("test");
        store.Set("k", [7]);

        server.Freeze();
        Exception? leaderOutcome = null;
        TimeSpan queued;
        var leader = new Thread(() =>
        {
            using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(5)))
            {
                leaderOutcome = Record.Exception(() => store.Get("k"));
            }
        });
        try
        {
            leader.Start();
            Assert.True(SpinWait.SpinUntil(() => database.Reads.Running == 1, TimeSpan.FromSeconds(5)), "the first read never started");
            Thread.Sleep(200); // its statement is on the wire to the frozen server

            var clock = Stopwatch.StartNew();
            using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(1)))
            {
                var error = Assert.Throws<KeyValueException>(() => store.Get("k"));
                Assert.Equal(KeyValueErrorKind.Io, error.Kind);
                Assert.Contains("deadline", error.Message, StringComparison.Ordinal);
                Assert.Contains("'test'", error.Message, StringComparison.Ordinal);
            }

            queued = clock.Elapsed;
        }
        finally
        {
            server.Thaw();
            leader.Join();
        }

        // Its own 1 s deadline, not the leader's 5 s (plus Npgsql's cancel) it queued behind.
        Assert.InRange(queued, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2));
        Assert.True(leaderOutcome is null or KeyValueException { Kind: KeyValueErrorKind.Io }, $"the leader got {leaderOutcome}");

        // The slot the stuck batch held is free again: the next read runs and answers.
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal([7], store.Get("k"));
            Assert.True(store.Exists("k"));
        }
    }

    private static byte[] Value(string label, int i) => Encoding.UTF8.GetBytes($"{label}:{i}");

    private static string? Text(byte[]? value) => value is null ? null : Encoding.UTF8.GetString(value);

    private PostgresDatabase Open(string table, int readBatches)
    {
        server.Require();
        var database = new PostgresDatabase(server.ConnectionString, table, readBatches);
        _owned.Add(database);
        return database;
    }
}
