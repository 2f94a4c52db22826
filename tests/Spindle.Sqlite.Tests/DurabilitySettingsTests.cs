using Microsoft.Data.Sqlite;

namespace Spindle.Sqlite.Tests;

/// <summary>
/// Issue #10 (item 2, first part): an acknowledged write must be on disk, so every connection the store hands out
/// commits with an fsync: WAL journal and <c>synchronous=FULL</c> (in WAL mode <c>NORMAL</c> may lose the last commits
/// on power loss). Before this test, setting <c>synchronous=OFF</c> passed every test.
/// </summary>
public sealed class DurabilitySettingsTests : IDisposable
{
    // PRAGMA synchronous reports 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
    private const long Full = 2;

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Every_pooled_connection_of_a_file_store_commits_with_fsync_in_wal_mode()
    {
        using var database = SqliteDatabase.OpenFile(Path.Combine(_folder.Path, "kv.db"));
        database.Open("default").Set("k", [1]);

        // Rent several at once, so the pool has to create connections beyond its idle ones.
        var rented = Enumerable.Range(0, 6).Select(_ => database.Rent()).ToList();
        try
        {
            foreach (var connection in rented)
            {
                Assert.Equal(Full, Pragma(connection.Connection, "synchronous"));
                Assert.Equal("wal", Pragma(connection.Connection, "journal_mode"));
            }
        }
        finally
        {
            rented.ForEach(database.Return);
        }
    }

    // Issue #10: every write commits on the group-commit queue's connection, so it is the one that must fsync.
    [Fact]
    public void The_writer_connection_commits_with_fsync_in_wal_mode()
    {
        using var database = SqliteDatabase.OpenFile(Path.Combine(_folder.Path, "kv.db"));
        database.Open("default").Set("k", [1]);

        var writer = database.Writes.Connection;
        Assert.NotNull(writer);
        Assert.Equal(Full, Pragma(writer.Connection, "synchronous"));
        Assert.Equal("wal", Pragma(writer.Connection, "journal_mode"));
    }

    // Issue #10: a write is acknowledged only once its batch is committed. Another connection sees only committed data,
    // so every key must be readable there the moment its Set returns; with synchronous=FULL (checked above) that
    // commit is fsynced. And the batches share commits: fewer commits than acknowledged writes.
    [Fact]
    public void Every_acknowledged_write_is_committed_when_it_returns()
    {
        const int Writers = 32;
        const int WritesEach = 20;
        var path = Path.Combine(_folder.Path, "kv.db");
        using var database = SqliteDatabase.OpenFile(path);
        var store = database.Open("default");
        store.Set("schema", [0]);
        var commitsBefore = database.Writes.Commits;
        var missing = new System.Collections.Concurrent.ConcurrentBag<string>();

        using var ready = new Barrier(Writers);
        var threads = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
        {
            using var observer = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=false");
            observer.Open();
            using var read = observer.CreateCommand();
            read.CommandText = "SELECT count(*) FROM spin_key_value WHERE store = 'default' AND key = $key";
            var key = read.Parameters.Add("$key", SqliteType.Text);
            ready.SignalAndWait();
            for (var i = 0; i < WritesEach; i++)
            {
                var name = $"w{w}-{i}";
                store.Set(name, [1]);
                key.Value = name;
                if ((long)read.ExecuteScalar()! != 1)
                {
                    missing.Add(name);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(missing);
        var commits = database.Writes.Commits - commitsBefore;
        Assert.Equal(Writers * WritesEach, database.Writes.CommittedWrites - 1);
        Assert.True(commits < Writers * WritesEach, $"{commits} commits for {Writers * WritesEach} concurrent writes: no batching");
    }

    [Fact]
    public void A_file_spin_created_in_rollback_mode_is_switched_to_wal_on_open()
    {
        var path = Path.Combine(_folder.Path, "spin.db");
        using (var spin = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            spin.Open();
            using var command = spin.CreateCommand();
            command.CommandText = "CREATE TABLE spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))";
            command.ExecuteNonQuery();
        }

        using var database = SqliteDatabase.OpenFile(path);
        var connection = database.Rent();
        try
        {
            Assert.Equal("wal", Pragma(connection.Connection, "journal_mode"));
            Assert.Equal(Full, Pragma(connection.Connection, "synchronous"));
        }
        finally
        {
            database.Return(connection);
        }
    }

    private static object? Pragma(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return command.ExecuteScalar();
    }
}
