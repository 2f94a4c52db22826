using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Spindle.Core;
using SQLitePCL;

namespace Spindle.Sqlite;

/// <summary>
/// One SQLite database holding Spin's <c>spin_key_value</c> table; each label is a store inside it. Readers use a pool
/// of connections and never wait for each other; in WAL mode they do not wait for writers either. Every write of this
/// process, for every label, goes through one writer connection that commits whatever has queued in one transaction
/// (group commit, <see cref="WriteQueue"/>), and writers in other processes are waited for up to
/// <see cref="BusyTimeout"/>. Opening a file whose schema exists only reads it, so it never waits
/// for another process's write lock; see docs/sqlite.md.
/// </summary>
/// <remarks>
/// Durability: file databases run in WAL mode with <c>synchronous=FULL</c>, so a write returns only after the commit
/// of its batch is fsynced; see docs/sqlite.md.
/// </remarks>
public sealed class SqliteDatabase : IKeyValueStoreManager, IDisposable
{
    /// <summary>How long an operation waits for another process's write lock before failing with an io error.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(5);

    private const int MaxIdleConnections = 32;
    private const int PrimaryResultCodeMask = 0xFF;

    private static readonly TimeSpan BusyRetryDelay = TimeSpan.FromMilliseconds(20);

    private readonly string _connectionString;
    private readonly ConcurrentBag<PooledConnection> _idle = [];
    private readonly ConcurrentDictionary<string, SqliteStore> _stores = new(StringComparer.Ordinal);
    private readonly bool _isFile;
    private int _idleCount;
    private PooledConnection? _fastSlot;
    private volatile bool _disposed;
    private int _openConnections;
    private int _peakConnections;

    // What this process knows of the file's schema (a SchemaState); it only grows.
    private volatile int _schema;

    // Keeps an in-memory database alive between operations; null for files.
    private readonly SqliteConnection? _anchor;

    private SqliteDatabase(string connectionString, string description, bool isFile, TimeSpan lockWait)
    {
        _connectionString = connectionString;
        LockWait = lockWait;
        _isFile = isFile;
        Description = description;
        Writes = new WriteQueue(this);
        try
        {
            using var setup = OpenConnection();
            if (isFile)
            {
                OpenFileSchema(setup);
            }
            else
            {
                _anchor = NewConnection();
                if (!TryExecute(setup, Sql.SynchronousFull) || !CreateSchema(setup, lockWait))
                {
                    throw Locked();
                }
            }
        }
        catch (SqliteException ex)
        {
            _anchor?.Dispose();
            throw new KeyValueException(KeyValueErrorKind.Io, $"cannot open SQLite key-value database {description}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Where the data lives, as Spin prints it: the quoted file path, or <c>a temporary in-memory store</c>.
    /// </summary>
    public string Description { get; }

    internal bool IsDisposed => _disposed;

    /// <summary>How long this database waits for another process's write lock.</summary>
    internal TimeSpan LockWait { get; }

    /// <summary>Serializes creating the schema, which a reader (compare-and-swap's get) may do as well as the writer.</summary>
    internal Lock SchemaGate { get; } = new();

    /// <summary>Every write of this database, for every label, goes through this queue and its one connection.</summary>
    internal WriteQueue Writes { get; }

    /// <summary>Connections open now for readers and the writer (the in-memory anchor not counted).</summary>
    internal int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>The most connections that were open at once.</summary>
    internal int PeakConnections => Volatile.Read(ref _peakConnections);

    internal bool IsFile => _isFile;

    /// <summary>Opens (creating if needed) the database file at <paramref name="path"/> and its folder.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="busyTimeout">How long to wait for another process's write lock; default <see cref="BusyTimeout"/>.</param>
    /// <exception cref="KeyValueException">The folder or file cannot be created or is not a SQLite database.</exception>
    public static SqliteDatabase OpenFile(string path, TimeSpan? busyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var description = $"\"{fullPath}\"";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeyValueException(KeyValueErrorKind.Io, $"cannot create the folder for SQLite key-value database {description}: {ex.Message}", ex);
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // we pool connections with their prepared statements ourselves
            DefaultTimeout = (int)Math.Ceiling((busyTimeout ?? BusyTimeout).TotalSeconds),
        };
        return new SqliteDatabase(builder.ToString(), description, isFile: true, TimeSpan.FromSeconds(builder.DefaultTimeout));
    }

    /// <summary>Creates a private in-memory database, dropped when this object is disposed.</summary>
    public static SqliteDatabase OpenInMemory()
    {
        // The memdb VFS gives a named in-memory database that several connections share with ordinary locking
        // (readers in parallel), unlike shared-cache mode, whose table locks make readers fail with SQLITE_LOCKED.
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = $"file:/spindle-{Guid.NewGuid():N}?vfs=memdb",
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        };
        return new SqliteDatabase(builder.ToString(), "a temporary in-memory store", isFile: false, BusyTimeout);
    }

    /// <inheritdoc/>
    public IKeyValueStore Open(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _stores.GetOrAdd(label, static (l, db) => new SqliteStore(db, l), this);
    }

    /// <summary>Closes every connection. In-memory data is gone after this.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Writes.Dispose();
        Interlocked.Exchange(ref _fastSlot, null)?.Dispose();
        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }

        _anchor?.Dispose();
    }

    internal PooledConnection Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // One idle connection sits in a plain slot: the common case (one caller at a time) costs one interlocked swap.
        var fast = Interlocked.Exchange(ref _fastSlot, null);
        if (fast is not null)
        {
            return fast;
        }

        if (_idle.TryTake(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            return connection;
        }

        return NewPooledConnection();
    }

    /// <summary>The connection of <see cref="Writes"/>: like the readers', counted in <see cref="OpenConnections"/>.</summary>
    internal PooledConnection NewWriterConnection()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return NewPooledConnection();
    }

    private PooledConnection NewPooledConnection()
    {
        var connection = new PooledConnection(NewConnection(), ConnectionClosed);
        var open = Interlocked.Increment(ref _openConnections);
        for (var peak = Volatile.Read(ref _peakConnections); open > peak; peak = Volatile.Read(ref _peakConnections))
        {
            if (Interlocked.CompareExchange(ref _peakConnections, open, peak) == peak)
            {
                break;
            }
        }

        return connection;
    }

    private void ConnectionClosed() => Interlocked.Decrement(ref _openConnections);

    internal void Return(PooledConnection connection)
    {
        if (_disposed || connection.Broken)
        {
            connection.Dispose();
            return;
        }

        if (Interlocked.CompareExchange(ref _fastSlot, connection, null) is null)
        {
            if (_disposed && Interlocked.Exchange(ref _fastSlot, null) is { } lateFast)
            {
                lateFast.Dispose(); // raced with Dispose
            }

            return;
        }

        if (Interlocked.Increment(ref _idleCount) > MaxIdleConnections)
        {
            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
            return;
        }

        _idle.Add(connection);
        if (_disposed && _idle.TryTake(out var late))
        {
            late.Dispose(); // raced with Dispose
        }
    }

    /// <summary>
    /// Makes sure Spin's table exists before a read. Free once known; otherwise it inspects the file (waiting for
    /// another process's lock up to <see cref="LockWait"/>) and creates the schema only if the table is missing.
    /// </summary>
    /// <exception cref="SqliteException">The file stayed locked, or is not a database.</exception>
    internal void EnsureReadable(PooledConnection connection)
    {
        if (_schema < (int)SchemaState.SpinTable)
        {
            EnsureSchema(connection, SchemaState.SpinTable);
        }
    }

    /// <summary>
    /// Makes sure the whole schema (Spin's table and Spindle's versions) exists before a write or a compare-and-swap.
    /// Free once known; otherwise it waits for the write lock like any write.
    /// </summary>
    /// <exception cref="SqliteException">The file stayed locked, or is not a database.</exception>
    internal void EnsureWritable(PooledConnection connection)
    {
        if (_schema < (int)SchemaState.Complete)
        {
            EnsureSchema(connection, SchemaState.Complete);
        }
    }

    /// <summary>A connection for the pool: waits up to <see cref="LockWait"/> if another process keeps readers out.</summary>
    private SqliteConnection NewConnection()
    {
        var connection = OpenConnection();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = Sql.SynchronousFull;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    // Opening never waits for another process and never needs the write lock when the schema is complete: every step
    // here reads, or is skipped on SQLITE_BUSY and left to the first operation that needs it.
    private void OpenFileSchema(SqliteConnection connection)
    {
        // Even this pragma reads the schema. Both fail only while another process holds an exclusive lock in
        // rollback-journal mode (committing, or BEGIN EXCLUSIVE); then the first operation looks again.
        if (!TryExecute(connection, Sql.SynchronousFull) || !TryInspect(connection, TimeSpan.Zero, out var state))
        {
            return;
        }

        _schema = (int)state;

        // WAL lets readers run alongside a writer. The mode is stored in the file, so a WAL file needs nothing; switching
        // needs every other connection gone, so if another process holds the file in rollback mode we keep rollback
        // mode (durable too, only less concurrent) and try again when the schema is next created or the file reopened.
        TrySetWal(connection);
        if (state != SchemaState.Complete)
        {
            _ = CreateSchema(connection, TimeSpan.Zero); // if locked, the first operation that needs it waits for it
        }
    }

    private void EnsureSchema(PooledConnection pooled, SchemaState needed)
    {
        // Every wait here ends by the request's deadline as well as the lock wait.
        if (!SchemaGate.TryEnter(Core.KeyValueDeadline.Bound(Timeout.InfiniteTimeSpan)))
        {
            throw Locked();
        }

        try
        {
            if (_schema >= (int)needed)
            {
                return;
            }

            var connection = pooled.Connection;
            if (!TryInspect(connection, Core.KeyValueDeadline.Bound(LockWait), out var state))
            {
                throw Locked();
            }

            _schema = Math.Max(_schema, (int)state);
            if (state >= needed)
            {
                return;
            }

            if (_isFile)
            {
                TrySetWal(connection);
            }

            if (!CreateSchema(connection, Core.KeyValueDeadline.Bound(LockWait)))
            {
                throw Locked();
            }
        }
        finally
        {
            SchemaGate.Exit();
        }
    }

    // The same error SQLite gives, so the store reports it as a lock held by another process.
    private static SqliteException Locked() => new("database is locked", raw.SQLITE_BUSY);

    /// <summary>Reads which schema objects exist, retrying while another process blocks reading, up to <paramref name="wait"/>.</summary>
    private static bool TryInspect(SqliteConnection connection, TimeSpan wait, out SchemaState state)
    {
        state = SchemaState.Unknown;
        (long SpinTable, long Objects) found = default;
        if (!RetryWhileBusy(wait, () => TryQueryRow(connection, Sql.InspectSchema, s => (raw.sqlite3_column_int64(s, 0), raw.sqlite3_column_int64(s, 1)), out found)))
        {
            return false;
        }

        if (found.SpinTable == 0)
        {
            return true;
        }

        state = SchemaState.SpinTable;
        long counterRows = 0;
        if (found.Objects == Sql.SchemaObjectCount
            && !RetryWhileBusy(wait, () => TryQueryRow(connection, Sql.InspectCounter, s => raw.sqlite3_column_int64(s, 0), out counterRows)))
        {
            return false;
        }

        if (counterRows == 1)
        {
            state = SchemaState.Complete;
        }

        return true;
    }

    /// <summary>
    /// Creates whatever is missing of the schema in one write transaction, retrying while another process holds the
    /// write lock, up to <paramref name="wait"/>. Returns <see langword="false"/> when the lock stayed taken.
    /// </summary>
    private bool CreateSchema(SqliteConnection connection, TimeSpan wait)
    {
        if (!RetryWhileBusy(wait, () => TryExecute(connection, Sql.CreateSchemaTransaction)))
        {
            return false;
        }

        _schema = (int)SchemaState.Complete;
        return true;
    }

    private static void TrySetWal(SqliteConnection connection)
    {
        if (TryQueryRow(connection, Sql.JournalMode, s => raw.sqlite3_column_text(s, 0).utf8_to_string(), out var mode)
            && !string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            TryExecute(connection, Sql.JournalModeWal);
        }
    }

    // Microsoft.Data.Sqlite retries a busy statement for the whole command timeout and cannot be told not to wait,
    // so the schema steps use the native API, whose busy handler is off: a lock answers SQLITE_BUSY at once.
    private static bool RetryWhileBusy(TimeSpan wait, Func<bool> attempt)
    {
        var started = Stopwatch.GetTimestamp();
        while (!attempt())
        {
            if (Stopwatch.GetElapsedTime(started) >= wait)
            {
                return false;
            }

            Thread.Sleep(BusyRetryDelay);
        }

        return true;
    }

    /// <summary>Runs <paramref name="sql"/>; <see langword="false"/> on SQLITE_BUSY, after rolling back what it began.</summary>
    private static bool TryExecute(SqliteConnection connection, string sql)
    {
        var db = connection.Handle!;
        var rc = raw.sqlite3_exec(db, sql, out var message);
        if (rc == raw.SQLITE_OK)
        {
            return true;
        }

        if (raw.sqlite3_get_autocommit(db) == 0)
        {
            raw.sqlite3_exec(db, Sql.Rollback);
        }

        return IsBusy(rc) ? false : throw new SqliteException(message, rc);
    }

    /// <summary>Reads the first row of <paramref name="sql"/>; <see langword="false"/> on SQLITE_BUSY.</summary>
    private static bool TryQueryRow<T>(SqliteConnection connection, string sql, Func<sqlite3_stmt, T> read, out T value)
    {
        value = default!;
        var db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
        using (statement)
        {
            if (rc == raw.SQLITE_OK)
            {
                rc = raw.sqlite3_step(statement);
                if (rc == raw.SQLITE_ROW)
                {
                    value = read(statement);
                    return true;
                }
            }

            return IsBusy(rc) ? false : throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
        }
    }

    // Extended result codes keep the primary code in their low byte (SQLITE_BUSY_SNAPSHOT is SQLITE_BUSY | 2 << 8).
    private static bool IsBusy(int rc) => (rc & PrimaryResultCodeMask) is raw.SQLITE_BUSY or raw.SQLITE_LOCKED;
}

/// <summary>What a <see cref="SqliteDatabase"/> knows exists in its file; each state includes the ones before it.</summary>
internal enum SchemaState
{
    /// <summary>Not read yet, or Spin's table is missing.</summary>
    Unknown,

    /// <summary><c>spin_key_value</c> exists, so reads can run; Spindle's version objects may be missing.</summary>
    SpinTable,

    /// <summary>Every object of <see cref="Sql.CreateSchema"/> exists.</summary>
    Complete,
}
