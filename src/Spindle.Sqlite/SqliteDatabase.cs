using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Spindle.Core;

namespace Spindle.Sqlite;

/// <summary>
/// One SQLite database holding Spin's <c>spin_key_value</c> table; each label is a store inside it. Readers use a pool
/// of connections and never wait for each other; in WAL mode they do not wait for writers either. Writers in this
/// process take turns on one lock (SQLite allows one writer at a time anyway), and writers in other processes are
/// waited for up to <see cref="BusyTimeout"/>.
/// </summary>
/// <remarks>
/// Durability: file databases run in WAL mode with <c>synchronous=FULL</c>, so a write returns only after its commit
/// record is fsynced; see docs/sqlite.md.
/// </remarks>
public sealed class SqliteDatabase : IKeyValueStoreManager, IDisposable
{
    /// <summary>How long an operation waits for another process's write lock before failing with an io error.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(5);

    private const int MaxIdleConnections = 32;

    private readonly string _connectionString;
    private readonly ConcurrentBag<SqliteSession> _idle = [];
    private readonly ConcurrentDictionary<string, SqliteStore> _stores = new(StringComparer.Ordinal);
    private readonly bool _isFile;
    private int _idleCount;
    private SqliteSession? _fastSlot;
    private volatile bool _disposed;

    // Keeps an in-memory database alive between operations; null for files.
    private readonly SqliteConnection? _anchor;

    private SqliteDatabase(string connectionString, string description, bool isFile, TimeSpan lockWait)
    {
        _connectionString = connectionString;
        LockWait = lockWait;
        _isFile = isFile;
        Description = description;
        try
        {
            using var setup = NewConnection();
            if (isFile)
            {
                // WAL lets readers run alongside a writer. The mode is stored in the file; if another process holds
                // the file open in rollback mode the switch waits for it, and failing that we keep rollback mode.
                TrySetWal(setup);
            }
            else
            {
                _anchor = NewConnection();
            }

            using var command = setup.CreateCommand();
            command.CommandText = Sql.CreateSchema;
            command.ExecuteNonQuery();
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

    /// <summary>
    /// Serializes this process's writers, for every label of the database: SQLite admits one writer at a time, and
    /// waiting on a lock is cheaper and fairer than SQLite's busy-retry sleep loop.
    /// </summary>
    internal Lock WriteGate { get; } = new();

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
            Pooling = false, // we pool sessions with their prepared statements ourselves
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
        Interlocked.Exchange(ref _fastSlot, null)?.Dispose();
        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }

        _anchor?.Dispose();
    }

    internal SqliteSession Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // One idle session sits in a plain slot: the common case (one caller at a time) costs one interlocked swap.
        var fast = Interlocked.Exchange(ref _fastSlot, null);
        if (fast is not null)
        {
            return fast;
        }

        if (_idle.TryTake(out var session))
        {
            Interlocked.Decrement(ref _idleCount);
            return session;
        }

        return new SqliteSession(NewConnection());
    }

    internal void Return(SqliteSession session)
    {
        if (_disposed || session.Broken)
        {
            session.Dispose();
            return;
        }

        if (Interlocked.CompareExchange(ref _fastSlot, session, null) is null)
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
            session.Dispose();
            return;
        }

        _idle.Add(session);
        if (_disposed && _idle.TryTake(out var late))
        {
            late.Dispose(); // raced with Dispose
        }
    }

    private SqliteConnection NewConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();

        // FULL: in WAL mode NORMAL may lose the last commits on power loss; a write must be durable when acknowledged.
        command.CommandText = "PRAGMA synchronous=FULL;";
        command.ExecuteNonQuery();
        return connection;
    }

    private static void TrySetWal(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        try
        {
            command.ExecuteScalar();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 5 /* SQLITE_BUSY */)
        {
            // Another process holds the file; rollback journaling is still durable, only slower for readers.
        }
    }
}
