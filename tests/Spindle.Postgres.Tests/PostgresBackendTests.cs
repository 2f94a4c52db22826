using System.Diagnostics;
using System.Text;
using Npgsql;
using Spindle.Core;

namespace Spindle.Postgres.Tests;

/// <summary>What the conformance suite cannot see: the table, the SQL, the server going away, concurrent reads sharing round trips.</summary>
[Collection(OutageGroup.Name)]
public sealed class PostgresBackendTests(PostgresServer server) : IDisposable
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
    public void Labels_share_one_table_and_stay_apart()
    {
        var table = server.NewTable("labels");
        var database = Open(table);
        var first = database.Open("first");
        var second = database.Open("second");
        first.Set("k", "one"u8.ToArray());
        second.Set("k", "two"u8.ToArray());
        first.Increment("n", 5);
        second.Delete("n");

        Assert.Equal("one"u8.ToArray(), first.Get("k"));
        Assert.Equal("two"u8.ToArray(), second.Get("k"));
        Assert.Equal(5, first.Increment("n", 0));
        Assert.Equal(["k"], second.ListKeys().Keys);
        Assert.Equal(["first", "first", "second"], Query<string>($"SELECT store FROM \"{table}\" ORDER BY store"));
    }

    [Theory]
    [InlineData("'; DROP TABLE victim; --")]
    [InlineData("\"); DROP TABLE victim; --")]
    [InlineData("back\\slash\\\\ and \\x00")]
    [InlineData("$1 $2 ? :key @key")]
    [InlineData("E'\\'' || pg_sleep(5) || '")]
    [InlineData("\u0301\u200d\ufeff\U0010FFFF混合")]
    public void Keys_and_values_are_parameters_never_sql(string key)
    {
        server.Require();
        Execute("CREATE TABLE IF NOT EXISTS victim (x int)");
        var store = Open(server.NewTable("injection")).Open("test");
        var value = Encoding.UTF8.GetBytes("value of " + key + "'; DROP TABLE victim; --");

        store.Set(key, value);
        store.SetMany([new(key + "2", value)]);

        Assert.Equal(value, store.Get(key));
        Assert.True(store.Exists(key));
        Assert.Equal([key, key + "2"], store.ListKeys().Keys);
        Assert.Equal([key], store.ListKeys(prefix: key, limit: 1).Keys);
        Assert.Equal(value, store.GetMany([key])[0].Value);
        Assert.True(store.TrySwap(key, store.GetVersioned(key).Version, value));
        store.DeleteMany([key + "2"]);
        store.Delete(key);
        Assert.Null(store.Get(key));
        Assert.Equal(["victim"], Query<string>("SELECT table_name::text FROM information_schema.tables WHERE table_name = 'victim'"));
    }

    [Fact]
    public void Swap_with_a_version_from_before_an_A_B_A_sequence_fails()
    {
        var store = Open(server.NewTable("aba")).Open("test");
        store.Set("k", "A"u8.ToArray());
        var before = store.GetVersioned("k");
        store.Set("k", "B"u8.ToArray());
        store.Set("k", "A"u8.ToArray());

        Assert.False(store.TrySwap("k", before.Version, "C"u8.ToArray()));
        Assert.Equal("A"u8.ToArray(), store.Get("k"));

        // The same after delete and re-create: versions never restart.
        var current = store.GetVersioned("k");
        store.Delete("k");
        store.Set("k", "A"u8.ToArray());
        Assert.False(store.TrySwap("k", current.Version, "C"u8.ToArray()));
        Assert.True(store.TrySwap("k", store.GetVersioned("k").Version, "C"u8.ToArray()));
        Assert.Equal("C"u8.ToArray(), store.Get("k"));
    }

    [Fact]
    public void Concurrent_first_use_by_separate_pools_creates_the_table_once_without_errors()
    {
        server.Require();

        // Each pool stands for a process: its own server sessions, each racing to create the table. Without the
        // advisory lock, CREATE TABLE IF NOT EXISTS fails here with a unique violation in pg_type.
        const int Racers = 6;
        for (var round = 0; round < 5; round++)
        {
            var table = server.NewTable("race");
            var databases = Enumerable.Range(0, Racers).Select(_ => Open(table)).ToArray();
            using var start = new Barrier(Racers);
            var errors = new List<Exception>();
            var threads = databases.Select((database, i) => new Thread(() =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                try
                {
                    database.Open("test").Set($"k{i}", [(byte)i]);
                }
                catch (KeyValueException ex)
                {
                    lock (errors)
                    {
                        errors.Add(ex);
                    }
                }
            })).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            Assert.Empty(errors);
            Assert.Equal(Racers, databases[0].Open("test").ListKeys().Keys.Count);
        }
    }

    [Fact]
    public void A_server_that_stops_answering_gives_io_by_the_deadline_and_the_next_call_after_it_returns_succeeds()
    {
        var store = Open(server.NewTable("outage")).Open("test");
        store.Set("acknowledged", "kept"u8.ToArray());

        server.Freeze();
        TimeSpan pooled, fresh;
        try
        {
            // First call: an idle pooled connection whose server no longer answers (command timeout).
            pooled = TimeIo(() => store.Get("acknowledged"));

            // Second call: that connection was dropped, so this one must connect (bounded open).
            fresh = TimeIo(() => store.Set("other", [1]));
        }
        finally
        {
            server.Thaw();
        }

        // Deadline 1 s, plus Npgsql's cancel request to a server that does not answer (connect and read, each
        // bounded by the 1 s default Timeout), plus scheduling slack.
        Assert.InRange(pooled, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.InRange(fresh, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal("kept"u8.ToArray(), store.Get("acknowledged"));
            store.Set("after", [2]);
        }

        Assert.Equal([2], store.Get("after"));
    }

    [Fact]
    public void Opening_a_connection_ends_at_the_deadline_even_when_the_connect_timeout_is_longer()
    {
        server.Require();
        var database = new PostgresDatabase(server.ConnectionString + ";Timeout=10", server.NewTable("connect"));
        _owned.Add(database);
        var store = database.Open("test");

        server.Freeze();
        TimeSpan elapsed;
        try
        {
            // No pooled connection yet: the call must connect, and the frozen server never completes the startup.
            elapsed = TimeIo(() => store.Get("k"));
        }
        finally
        {
            server.Thaw();
        }

        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2.5));
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(10)))
        {
            Assert.Null(store.Get("k"));
        }
    }

    [Fact]
    public void Failures_are_io_errors_that_name_the_store_and_not_the_password()
    {
        server.Require();
        var database = new PostgresDatabase(server.ConnectionString + ";Password=hunter2-secret;Database=no_such_db", "kv");
        _owned.Add(database);

        var error = Assert.Throws<KeyValueException>(() => database.Open("app").Get("k"));

        Assert.Equal(KeyValueErrorKind.Io, error.Kind);
        Assert.StartsWith("PostgreSQL get failed for store 'app': ", error.Message, StringComparison.Ordinal);
        Assert.Contains("no_such_db", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_and_ToString_name_the_server_and_not_the_password()
    {
        var options = new PostgresStoreOptions("Host=db.example;Port=6543;Database=app;Username=u;Password=hunter2-secret", "kv.items");
        using var provider = new PostgresStoreProvider();

        var location = provider.Describe(options, new StoreProviderContext("default", "/"));

        Assert.Equal("PostgreSQL table \"kv.items\" in database \"app\" on db.example:6543", location.Description);
        Assert.False(location.IsTemporary);
        Assert.DoesNotContain("hunter2", options.ToString(), StringComparison.Ordinal);
        Assert.Contains("db.example", options.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=x", 1)]
    [InlineData("Host=x;Timeout=15", 15)]
    [InlineData("Host=x;timeout=7", 7)]
    public void Connect_timeout_defaults_to_one_second_unless_the_connection_string_sets_one(string connectionString, int seconds)
    {
        using var database = new PostgresDatabase(connectionString, "kv");
        Assert.Equal(TimeSpan.FromSeconds(seconds), database.ConnectTimeout);
    }

    [Theory]
    [InlineData("Host=x", 20, true)]
    [InlineData("Host=x;Max Auto Prepare=0", 0, true)]
    [InlineData("Host=x;maxautoprepare=5;No Reset On Close=false", 5, false)]
    public void Statements_are_auto_prepared_and_connections_not_reset_unless_the_connection_string_says_otherwise(
        string connectionString, int maxAutoPrepare, bool noResetOnClose)
    {
        using var database = new PostgresDatabase(connectionString, "kv");
        Assert.Equal(maxAutoPrepare, database.Settings.MaxAutoPrepare);
        Assert.Equal(noResetOnClose, database.Settings.NoResetOnClose);
    }

    [Fact]
    public void Every_operation_still_works_once_its_statement_is_prepared_on_the_connection()
    {
        server.Require();

        // One connection, so each statement runs on it more often than Npgsql's threshold for preparing it (5 uses).
        using var database = new PostgresDatabase(server.ConnectionString + ";Maximum Pool Size=1", server.NewTable("prepared"));
        var store = database.Open("app");
        for (var round = 0; round < 8; round++)
        {
            var value = new[] { (byte)round };
            store.Set("k", value);
            Assert.Equal(value, store.Get("k"));
            Assert.True(store.Exists("k"));
            Assert.Equal(round + 1, store.Increment("counter", 1));
            Assert.Equal(["k"], store.ListKeys("k").Keys);
            var page = store.ListKeys(limit: 1);
            Assert.Equal(["counter"], page.Keys);
            Assert.Equal(["k"], store.ListKeys(cursor: page.Cursor, limit: 1).Keys);
            store.SetMany([new("a", value), new("b", value)]);
            Assert.Equal([value, value], store.GetMany(["a", "b"]).Select(pair => pair.Value));
            var current = store.GetVersioned("k");
            Assert.True(store.TrySwap("k", current.Version, [9]));
            Assert.False(store.TrySwap("k", current.Version, [10]));
            Assert.Equal(round == 0, store.TrySwap("new", null, [1])); // insert-if-absent: only the first time
            store.DeleteMany(["a", "b"]);
            store.Delete("k");
            Assert.Null(store.Get("k"));
        }
    }

    [Theory]
    [InlineData("x; DROP TABLE y")]
    [InlineData("\"quoted\"")]
    [InlineData("a.b.c")]
    [InlineData("")]
    public void A_table_that_is_not_a_plain_name_is_refused(string table)
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgresStoreOptions("Host=localhost", table));
        Assert.Contains("letters, digits and underscores", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_connection_string_is_refused_without_repeating_it()
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgresStoreOptions("Host=x;Password=hunter2-secret;NoSuchKeyword=1"));
        Assert.Contains("not a valid Npgsql connection string", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
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

    private static TimeSpan TimeIo(Action call)
    {
        var clock = Stopwatch.StartNew();
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(1)))
        {
            var error = Assert.Throws<KeyValueException>(call);
            Assert.Equal(KeyValueErrorKind.Io, error.Kind);
            Assert.Contains("deadline", error.Message, StringComparison.Ordinal);
        }

        return clock.Elapsed;
    }

    private static byte[] Value(string label, int i) => Encoding.UTF8.GetBytes($"{label}:{i}");

    private static string? Text(byte[]? value) => value is null ? null : Encoding.UTF8.GetString(value);

    private PostgresDatabase Open(string table, int readBatches = 0)
    {
        server.Require();
        var database = new PostgresDatabase(server.ConnectionString, table, readBatches);
        _owned.Add(database);
        return database;
    }

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(server.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private List<T> Query<T>(string sql)
    {
        using var connection = new NpgsqlConnection(server.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(reader.GetFieldValue<T>(0));
        }

        return rows;
    }
}
