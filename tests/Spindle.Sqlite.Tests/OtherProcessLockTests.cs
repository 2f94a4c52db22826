using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Spindle.Core;

namespace Spindle.Sqlite.Tests;

/// <summary>
/// A real second process holds the write lock (<c>BEGIN IMMEDIATE</c> and an uncommitted change), as
/// <c>sqlite3 db "BEGIN IMMEDIATE; ..."</c> does. Issue #6: opening and reading must not wait for it.
/// </summary>
public sealed class OtherProcessLockTests : IDisposable
{
    // Long enough that "did not wait" and "waited" cannot be confused on a loaded machine.
    private static readonly TimeSpan ReadLockWait = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan WriteLockWait = TimeSpan.FromSeconds(1);

    private const string SpinSchema = """
        CREATE TABLE IF NOT EXISTS spin_key_value (
          store TEXT NOT NULL,
          key   TEXT NOT NULL,
          value BLOB NOT NULL,
          PRIMARY KEY (store, key)
        )
        """;

    private const string UncommittedUpdate = "UPDATE spin_key_value SET value = x'02' WHERE key = 'k'";

    private readonly TempDirectory _folder = new();

    private string DbPath => Path.Combine(_folder.Path, "sqlite_key_value.db");

    [Fact]
    public async Task Open_and_reads_do_not_wait_for_another_process_holding_the_write_lock()
    {
        // Issue #6
        CreateSpindleFile();
        using var holder = await SqliteLockHolder.StartAsync(DbPath, "BEGIN IMMEDIATE", TestContext.Current.CancellationToken, UncommittedUpdate);

        var started = Stopwatch.StartNew();
        using var database = SqliteDatabase.OpenFile(DbPath, ReadLockWait);
        var store = database.Open("default");
        Assert.Equal([1], store.Get("k")); // the committed value
        Assert.True(store.Exists("k"));
        Assert.Equal(["k"], store.ListKeys().Keys);
        Assert.Equal([1], store.GetMany(["k"])[0].Value);
        Assert.Equal([1], store.GetVersioned("k").Value);
        var elapsed = started.Elapsed;

        Assert.True(elapsed < ReadLockWait, $"open and reads took {elapsed.TotalSeconds:0.0} s: they waited for the other process's lock ({ReadLockWait.TotalSeconds:0} s)");
    }

    // Issue #7: the request's deadline bounds the wait, not only the store's lock wait.
    [Fact]
    public async Task A_blocked_write_gives_up_at_the_thread_deadline_before_the_lock_wait()
    {
        CreateSpindleFile();
        using var database = SqliteDatabase.OpenFile(DbPath, TimeSpan.FromSeconds(10));
        var store = database.Open("default");
        using var holder = await SqliteLockHolder.StartAsync(DbPath, "BEGIN IMMEDIATE", TestContext.Current.CancellationToken, UncommittedUpdate);

        var started = Stopwatch.StartNew();
        KeyValueException ex;
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(1)))
        {
            ex = Assert.Throws<KeyValueException>(() => store.Set("k", [3]));
        }

        var elapsed = started.Elapsed;
        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains("deadline passed while waiting", ex.Message, StringComparison.Ordinal);
        Assert.True(elapsed >= TimeSpan.FromSeconds(0.9), $"gave up after {elapsed.TotalSeconds:0.00} s, before the deadline");
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"waited {elapsed.TotalSeconds:0.0} s: the 1 s deadline did not bound the 10 s lock wait");
    }

    [Fact]
    public async Task Write_fails_with_io_after_the_lock_wait_while_another_process_holds_the_write_lock()
    {
        // Issue #6
        CreateSpindleFile();
        using var database = SqliteDatabase.OpenFile(DbPath, WriteLockWait);
        var store = database.Open("default");
        using (await SqliteLockHolder.StartAsync(DbPath, "BEGIN IMMEDIATE", TestContext.Current.CancellationToken, UncommittedUpdate))
        {
            AssertLockedAfterWaiting(() => store.Set("k", [3]));
            AssertLockedAfterWaiting(() => store.TrySwap("k", store.GetVersioned("k").Version, [3]));
            AssertLockedAfterWaiting(() => store.Increment("n", 1));
        }

        // The failed writes wrote nothing, and the store recovers once the lock is gone.
        Assert.Equal([1], store.Get("k"));
        store.Set("k", [4]);
        Assert.Equal([4], store.Get("k"));
    }

    [Fact]
    public async Task Spin_file_in_rollback_mode_opens_and_reads_while_another_process_holds_the_write_lock()
    {
        // Issue #6: a file Spin created (rollback journal, no Spindle objects). The other process holds RESERVED, which
        // lets readers in, so opening and reading go on at once; Spindle's schema and WAL wait for the first write.
        CreateSpinFile();
        using var holder = await SqliteLockHolder.StartAsync(DbPath, "BEGIN IMMEDIATE", TestContext.Current.CancellationToken, UncommittedUpdate);
        var started = Stopwatch.StartNew();
        using var database = SqliteDatabase.OpenFile(DbPath, ReadLockWait);
        var store = database.Open("default");
        Assert.Equal([1], store.Get("k"));
        Assert.Equal(["k"], store.ListKeys().Keys);
        var elapsed = started.Elapsed;
        Assert.True(elapsed < ReadLockWait, $"open and reads took {elapsed.TotalSeconds:0.0} s: they waited for the other process's lock");
        Assert.Equal("delete", JournalMode());

        // A version needs Spindle's triggers, and a write the lock: each waits, then reports the lock.
        using (var writer = SqliteDatabase.OpenFile(DbPath, WriteLockWait))
        {
            AssertLockedAfterWaiting(() => writer.Open("default").GetVersioned("k"));
            AssertLockedAfterWaiting(() => writer.Open("default").Set("k", [3]));
        }

        holder.Dispose();

        // Once the lock is gone, the first write creates the schema and switches the file to WAL.
        store.Set("k", [5]);
        var current = store.GetVersioned("k");
        Assert.True(store.TrySwap("k", current.Version, [6]));
        Assert.Equal([6], store.Get("k"));
        Assert.Equal("wal", JournalMode());
    }

    [Fact]
    public async Task Rollback_mode_exclusive_lock_makes_reads_wait_then_fail_with_io()
    {
        // Issue #6, documented in docs/sqlite.md: in rollback-journal mode a process that holds EXCLUSIVE (committing,
        // or BEGIN EXCLUSIVE) keeps readers out. Opening still succeeds at once; a read waits the lock wait, then fails.
        CreateSpinFile();
        using var holder = await SqliteLockHolder.StartAsync(DbPath, "BEGIN EXCLUSIVE", TestContext.Current.CancellationToken, UncommittedUpdate);
        var started = Stopwatch.StartNew();
        using var database = SqliteDatabase.OpenFile(DbPath, WriteLockWait);
        Assert.True(started.Elapsed < WriteLockWait, $"open took {started.Elapsed.TotalSeconds:0.0} s");

        AssertLockedAfterWaiting(() => database.Open("default").Get("k"));
    }

    public void Dispose() => _folder.Dispose();

    private static void AssertLockedAfterWaiting(Action write)
    {
        var started = Stopwatch.StartNew();
        var ex = Assert.Throws<KeyValueException>(write);
        var elapsed = started.Elapsed;
        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains("locked by another process", ex.Message, StringComparison.Ordinal);
        Assert.True(elapsed >= WriteLockWait, $"failed after {elapsed.TotalSeconds:0.00} s, before the configured lock wait of {WriteLockWait.TotalSeconds:0} s");
    }

    private void CreateSpindleFile()
    {
        using var database = SqliteDatabase.OpenFile(DbPath);
        database.Open("default").Set("k", [1]);
    }

    private void CreateSpinFile()
    {
        using var spin = OpenRaw();
        Execute(spin, SpinSchema);
        Execute(spin, "INSERT INTO spin_key_value (store, key, value) VALUES ('default', 'k', x'01')");
    }

    private string? JournalMode()
    {
        using var raw = OpenRaw();
        using var command = raw.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        return command.ExecuteScalar() as string;
    }

    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false, DefaultTimeout = 1 }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
