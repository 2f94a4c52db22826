using Microsoft.Data.Sqlite;

namespace Spindle.Sqlite.Tests;

/// <summary>
/// Spin and Spindle must open each other's <c>sqlite_key_value.db</c>. Spin's side is played by raw SQL: the exact
/// schema and statements of Spin's key-value-spin crate.
/// </summary>
public sealed class SpinFileCompatibilityTests : IDisposable
{
    private const string SpinSchema = """
        CREATE TABLE IF NOT EXISTS spin_key_value (
          store TEXT NOT NULL,
          key   TEXT NOT NULL,
          value BLOB NOT NULL,
          PRIMARY KEY (store, key)
        )
        """;

    private const string SpinUpsert = """
        INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
                             ON CONFLICT(store, key) DO UPDATE SET value=$3
        """;

    private readonly TempDirectory _folder = new();

    private string DbPath => Path.Combine(_folder.Path, "sqlite_key_value.db");

    [Fact]
    public void Reads_a_file_written_by_Spin()
    {
        using (var spin = OpenRaw())
        {
            Execute(spin, SpinSchema);
            Execute(spin, SpinUpsert, "default", "greeting", "hello"u8.ToArray());
            Execute(spin, SpinUpsert, "other", "greeting", "bonjour"u8.ToArray());
        }

        using var database = SqliteDatabase.OpenFile(DbPath);
        Assert.Equal("hello"u8.ToArray(), database.Open("default").Get("greeting"));
        Assert.Equal("bonjour"u8.ToArray(), database.Open("other").Get("greeting"));
        Assert.Equal(["greeting"], database.Open("default").ListKeys().Keys);
    }

    [Fact]
    public void Spin_reads_a_file_written_by_Spindle()
    {
        using (var database = SqliteDatabase.OpenFile(DbPath))
        {
            database.Open("default").Set("k", [1, 2, 3]);
            database.Open("cache").Set("k", [9]);
        }

        using var spin = OpenRaw();
        Assert.Equal(new byte[] { 1, 2, 3 }, Scalar(spin, "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2", "default", "k"));
        Assert.Equal(new byte[] { 9 }, Scalar(spin, "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2", "cache", "k"));

        // Spin's CREATE TABLE IF NOT EXISTS and its statements still apply to the file.
        Execute(spin, SpinSchema);
        Execute(spin, SpinUpsert, "default", "k", "from spin"u8.ToArray());
        Assert.Equal("from spin"u8.ToArray(), Scalar(spin, "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2", "default", "k"));
    }

    [Fact]
    public void Table_schema_is_exactly_Spins()
    {
        using (var database = SqliteDatabase.OpenFile(DbPath))
        {
            database.Open("default").Set("k", [1]);
        }

        using var raw = OpenRaw();
        var columns = new List<string>();
        using (var command = raw.CreateCommand())
        {
            command.CommandText = "SELECT name, type, \"notnull\", pk FROM pragma_table_info('spin_key_value') ORDER BY cid";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                columns.Add($"{reader.GetString(0)} {reader.GetString(1)} notnull={reader.GetInt64(2)} pk={reader.GetInt64(3)}");
            }
        }

        Assert.Equal(["store TEXT notnull=1 pk=1", "key TEXT notnull=1 pk=2", "value BLOB notnull=1 pk=0"], columns);
    }

    [Fact]
    public void A_write_by_Spin_invalidates_a_pending_swap()
    {
        using var database = SqliteDatabase.OpenFile(DbPath);
        var store = database.Open("default");
        store.Set("k", [1]);
        var current = store.GetVersioned("k");

        // Spin writes the same bytes back (an A-B-A seen by value comparison as "unchanged").
        using (var spin = OpenRaw())
        {
            Execute(spin, SpinUpsert, "default", "k", new byte[] { 2 });
            Execute(spin, SpinUpsert, "default", "k", new byte[] { 1 });
        }

        Assert.False(store.TrySwap("k", current.Version, [3]));
    }

    [Fact]
    public void Rows_Spin_wrote_before_Spindle_opened_the_file_can_be_swapped()
    {
        using (var spin = OpenRaw())
        {
            Execute(spin, SpinSchema);
            Execute(spin, SpinUpsert, "default", "k", new byte[] { 1 });
        }

        using var database = SqliteDatabase.OpenFile(DbPath);
        var store = database.Open("default");
        var current = store.GetVersioned("k");
        Assert.Equal([1], current.Value);
        Assert.True(store.TrySwap("k", current.Version, [2]));
        Assert.Equal([2], store.Get("k"));
    }

    [Fact]
    public void Spins_binary_counter_is_reported_not_crashed_on()
    {
        using (var spin = OpenRaw())
        {
            Execute(spin, SpinSchema);
            Execute(spin, SpinUpsert, "default", "hits", BitConverter.GetBytes(41L));
        }

        using var database = SqliteDatabase.OpenFile(DbPath);
        var ex = Assert.Throws<Spindle.Core.KeyValueException>(() => database.Open("default").Increment("hits", 1));
        Assert.Contains("hits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_database_uses_wal_and_full_sync()
    {
        using var database = SqliteDatabase.OpenFile(DbPath);
        database.Open("default").Set("k", [1]);
        using var raw = OpenRaw();
        Assert.Equal("wal", Scalar(raw, "PRAGMA journal_mode"));
    }

    [Fact]
    public void Readers_are_not_blocked_by_an_open_write_transaction()
    {
        using var database = SqliteDatabase.OpenFile(DbPath);
        var store = database.Open("default");
        store.Set("k", [1]);

        // Another process holds the write lock with an uncommitted change.
        using var writer = OpenRaw();
        using var transaction = writer.BeginTransaction();
        using (var command = writer.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "UPDATE spin_key_value SET value = x'02' WHERE key = 'k'";
            command.ExecuteNonQuery();
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal([1], store.Get("k")); // the committed value, without waiting for the writer
        Assert.True(store.Exists("k"));
        Assert.Equal(["k"], store.ListKeys().Keys);
        Assert.True(started.Elapsed < SqliteDatabase.BusyTimeout, "a read waited for the writer's lock");
        transaction.Rollback();
    }

    [Fact]
    public void Write_waits_for_another_process_then_reports_a_locked_database()
    {
        // Issue #6: check that it waited the configured time before giving up.
        var lockWait = TimeSpan.FromSeconds(1);
        using var database = SqliteDatabase.OpenFile(DbPath, lockWait);
        var store = database.Open("default");
        store.Set("k", [1]);
        using var writer = OpenRaw();
        using var transaction = writer.BeginTransaction();
        using (var command = writer.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "UPDATE spin_key_value SET value = x'02' WHERE key = 'k'";
            command.ExecuteNonQuery();
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<Spindle.Core.KeyValueException>(() => store.Set("k", [3]));
        var elapsed = started.Elapsed;
        Assert.Equal(Spindle.Core.KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains("locked by another process", ex.Message, StringComparison.Ordinal);
        Assert.Contains("waited 1 s", ex.Message, StringComparison.Ordinal);
        Assert.True(elapsed >= lockWait, $"gave up after {elapsed.TotalSeconds:0.00} s, before the configured wait of {lockWait.TotalSeconds:0} s");
        transaction.Rollback();

        // The failed write wrote nothing, and the store recovers once the lock is gone.
        Assert.Equal([1], store.Get("k"));
        store.Set("k", [4]);
        Assert.Equal([4], store.Get("k"));
    }

    [Fact]
    public void Unopenable_path_is_an_io_error_naming_the_path()
    {
        var blocker = Path.Combine(_folder.Path, "file");
        File.WriteAllText(blocker, "not a folder");
        var path = Path.Combine(blocker, "kv.db");
        var ex = Assert.Throws<Spindle.Core.KeyValueException>(() => SqliteDatabase.OpenFile(path));
        Assert.Contains(blocker, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_sqlite_file_is_an_io_error()
    {
        File.WriteAllText(DbPath, new string('x', 4096));
        var ex = Assert.Throws<Spindle.Core.KeyValueException>(() => SqliteDatabase.OpenFile(DbPath));
        Assert.Contains(DbPath, ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false, DefaultTimeout = 1 }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql, params object[] args)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            command.Parameters.AddWithValue($"${i + 1}", args[i]);
        }

        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql, params object[] args)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            command.Parameters.AddWithValue($"${i + 1}", args[i]);
        }

        return command.ExecuteScalar();
    }
}
