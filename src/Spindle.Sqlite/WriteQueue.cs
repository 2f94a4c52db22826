using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Spindle.Core;
using SQLitePCL;

namespace Spindle.Sqlite;

/// <summary>
/// Group commit: every write to one <see cref="SqliteDatabase"/> (every label, every caller) goes through this queue
/// and one writer connection. A caller that finds no batch running runs its own write at once, on its own thread, as
/// the batch's leader; callers that arrive meanwhile queue. When a batch is committed, the leader hands over to the
/// first queued caller, which applies everything queued so far in one transaction, one savepoint per write, and commits
/// with one fsync. Only then is each write of the batch completed. There is no timer: a write under no load is one
/// transaction of one statement, as before.
/// </summary>
/// <remarks>
/// <para>Inside a batch, writes run in arrival order, so an increment or a swap sees the writes queued before it. A
/// write that fails (not a counter, a value that fills the disk) is rolled back to its savepoint and fails alone. A
/// failure of the batch itself (an I/O error after which SQLite rolled the transaction back, a commit that fails)
/// rolls the batch back and runs each of its writes again in a transaction of its own, so each write gets the answer
/// it would have got alone.</para>
/// <para>Deadlines (<see cref="KeyValueDeadline"/>): a queued write whose deadline passes before a batch takes it is
/// removed and fails, never having started. A write in a batch that is running waits for the batch's outcome even
/// past its deadline, because it may be committed: it is never reported as failed when it may be durable. Another
/// process's write lock is waited for by each write up to <see cref="SqliteDatabase.LockWait"/> since a batch first
/// took it, and at most until its deadline; the leader waits for the batch up to its own limit, and writes of the batch with
/// time left go back to the head of the queue for the next leader.</para>
/// </remarks>
internal sealed class WriteQueue(SqliteDatabase database)
{
    /// <summary>At most this many writes per transaction, so one commit never holds a caller for an unbounded batch.</summary>
    internal const int MaxBatch = 256;

    /// <summary>A batch stops taking writes once their values reach this many bytes (it always takes at least one).</summary>
    internal const long MaxBatchBytes = 16 * 1024 * 1024;

    private const string Begin = "BEGIN IMMEDIATE;";
    private const string Commit = "COMMIT;";
    private const string Savepoint = "SAVEPOINT spindle_write;";
    private const string Release = "RELEASE spindle_write;";
    private const string RollbackToSavepoint = "ROLLBACK TO spindle_write;";

    private static readonly int[] BusyBackoffMilliseconds = [1, 2, 5, 10, 20];

    private readonly Lock _lock = new();
    private readonly LinkedList<WriteRequest> _queue = new();
    private bool _leading;
    private bool _disposed;
    private PooledConnection? _connection;

    // The transaction statements above, prepared once on _connection (parsing them costs more than running them).
    private readonly Dictionary<string, sqlite3_stmt> _prepared = new(StringComparer.Ordinal);
    private long _commits;
    private long _committedWrites;

    /// <summary>Transactions committed by this queue (one fsync each on a file).</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    /// <summary>Writes acknowledged as committed; at most <see cref="MaxBatch"/> times <see cref="Commits"/>.</summary>
    internal long CommittedWrites => Interlocked.Read(ref _committedWrites);

    /// <summary>Writes waiting for a batch to take them (for tests).</summary>
    internal int Queued
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count(r => r.State == WriteState.Queued);
            }
        }
    }

    /// <summary>Whether a batch is running or about to (for tests).</summary>
    internal bool Leading
    {
        get
        {
            lock (_lock)
            {
                return _leading;
            }
        }
    }

    /// <summary>The writer connection, for tests that check its settings; null until the first write.</summary>
    internal PooledConnection? Connection => _connection;

    /// <summary>
    /// Applies <paramref name="apply"/> in a batch and returns once its transaction is committed (<see langword="null"/>)
    /// or the write failed (the exception: a <see cref="SqliteException"/>, the write's own exception, or a
    /// <see cref="WriteNotStartedException"/> when the deadline passed before a batch took it).
    /// </summary>
    /// <param name="apply">The write; runs on the writer connection inside the batch's transaction.</param>
    /// <param name="bytes">The bytes it writes (values), to bound a batch's size.</param>
    public Exception? Submit(Action<PooledConnection> apply, long bytes)
    {
        var request = new WriteRequest(apply, bytes, KeyValueDeadline.Timestamp);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, database);
            request.Node = _queue.AddLast(request);
            if (_leading)
            {
                request.Signal = new ManualResetEventSlim(false, spinCount: 1);
            }
            else
            {
                _leading = true;
                request.State = WriteState.Leading;
            }
        }

        try
        {
            if (request.Signal is null || WaitForTurn(request))
            {
                Lead(request);
            }

            return request.Error;
        }
        finally
        {
            request.Signal?.Dispose(); // every Set happens before its state is Done, under the lock
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            if (!_leading)
            {
                CloseConnection();
            }
        }
    }

    /// <summary>Waits until the request is done (false) or this thread leads the next batch (true).</summary>
    private bool WaitForTurn(WriteRequest request)
    {
        var signal = request.Signal!;
        var claimed = false;
        while (true)
        {
            signal.Wait(claimed ? Timeout.Infinite : KeyValueDeadline.MillisecondsUntil(request.Deadline));
            lock (_lock)
            {
                switch (request.State)
                {
                    case WriteState.Done:
                        return false;
                    case WriteState.Leading when request.DeadlinePassed:
                        // Handed the lead after its deadline: it never started, so it steps aside.
                        _queue.Remove(request.Node!);
                        request.Complete(new WriteNotStartedException());
                        PromoteNextLocked();
                        return false;
                    case WriteState.Leading:
                        return true;
                    case WriteState.Queued when request.DeadlinePassed:
                        _queue.Remove(request.Node!);
                        request.Complete(new WriteNotStartedException());
                        return false;
                }

                // In a running batch it may commit, so it waits for the outcome, past its deadline if need be; a batch
                // that could not start puts it back in the queue (Queued), where its deadline counts again.
                claimed = request.State == WriteState.Claimed;
                signal.Reset(); // under the lock, so a Set made after this check is not lost
            }
        }
    }

    /// <summary>Runs batches from the head of the queue until this thread's own write is done.</summary>
    private void Lead(WriteRequest self)
    {
        var batch = new List<WriteRequest>();
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            long bytes = 0;
            for (var node = _queue.First; node is not null && batch.Count < MaxBatch && (batch.Count == 0 || bytes < MaxBatchBytes); node = _queue.First)
            {
                var request = node.Value;
                _queue.RemoveFirst();
                request.State = WriteState.Claimed;
                request.FirstClaimed = request.FirstClaimed == 0 ? now : request.FirstClaimed;
                bytes += request.Bytes;
                batch.Add(request);
            }
        }

        Debug.Assert(batch.Count > 0 && ReferenceEquals(batch[0], self), "the leader is the head of the queue");
        List<WriteRequest>? putBack = null;
        try
        {
            if (Volatile.Read(ref _disposed))
            {
                var disposed = new ObjectDisposedException(nameof(SqliteDatabase));
                batch.ForEach(r => r.Error = disposed);
            }
            else
            {
                putBack = Run(batch, self);
            }
        }
        catch (Exception ex)
        {
            // Run handles every failure of a write or of the batch; this is only a bug's last line of defence, so no
            // caller waits forever.
            batch.ForEach(r => r.Error ??= ex);
            CloseConnection();
        }
        finally
        {
            lock (_lock)
            {
                if (putBack is not null)
                {
                    for (var i = putBack.Count - 1; i >= 0; i--)
                    {
                        var request = putBack[i];
                        batch.Remove(request);
                        request.State = WriteState.Queued;
                        request.Node = _queue.AddFirst(request);
                        request.Signal?.Set(); // it may have passed its deadline meanwhile
                    }
                }

                foreach (var request in batch)
                {
                    request.Complete(request.Error);
                }

                PromoteNextLocked();
            }
        }
    }

    /// <summary>Hands the lead to the head of the queue, or ends it when the queue is empty.</summary>
    private void PromoteNextLocked()
    {
        if (_queue.First?.Value is { } next)
        {
            next.State = WriteState.Leading;
            next.Signal!.Set();
            return;
        }

        _leading = false;
        if (_disposed)
        {
            CloseConnection();
        }
    }

    /// <summary>
    /// Applies the batch in one transaction and sets each request's <see cref="WriteRequest.Error"/>. Returns the
    /// requests to queue again when another process's lock kept the batch from starting and they still have time.
    /// </summary>
    private List<WriteRequest>? Run(List<WriteRequest> batch, WriteRequest leader)
    {
        var connection = _connection ??= database.NewWriterConnection();
        var db = connection.Connection.Handle!;
        connection.BoundWaits(database.LockWait);
        try
        {
            database.EnsureWritable(connection);
            var wait = Min(KeyValueDeadline.Bound(database.LockWait), database.LockWait - Stopwatch.GetElapsedTime(leader.FirstClaimed));
            if (!RetryWhileBusy(db, Begin, wait))
            {
                return Locked(batch, leader);
            }
        }
        catch (SqliteException ex) when (IsBusy(ex.SqliteErrorCode))
        {
            return Locked(batch, leader);
        }
        catch (SqliteException ex)
        {
            CloseConnection();
            batch.ForEach(r => r.Error = ex);
            return null;
        }

        // One write needs no savepoint: if it fails, the whole transaction is rolled back.
        var savepoints = batch.Count > 1;
        foreach (var request in batch)
        {
            if (savepoints && !TryExec(db, Savepoint, out var failed))
            {
                return FailBatch(batch, leader, failed);
            }

            try
            {
                request.Apply(connection);
            }
            catch (Exception ex) when (ex is SqliteException or KeyValueException or ArgumentException or InvalidOperationException)
            {
                if (raw.sqlite3_get_autocommit(db) != 0)
                {
                    return FailBatch(batch, leader, ex); // SQLite rolled the whole transaction back (disk full, I/O)
                }

                request.Error = ex;
                if (!savepoints)
                {
                    raw.sqlite3_exec(db, Sql.Rollback);
                    return null;
                }

                if (!TryExec(db, RollbackToSavepoint, out failed) || !TryExec(db, Release, out failed))
                {
                    return FailBatch(batch, leader, failed);
                }

                continue;
            }

            if (savepoints && !TryExec(db, Release, out failed))
            {
                return FailBatch(batch, leader, failed);
            }
        }

        // In WAL mode a commit never waits; in rollback-journal mode it waits for readers to leave the file.
        if (!RetryWhileBusy(db, Commit, database.LockWait))
        {
            return FailBatch(batch, leader, new SqliteException("database is locked", raw.SQLITE_BUSY));
        }

        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _committedWrites, batch.Count(r => r.Error is null));
        return null;
    }

    /// <summary>
    /// The batch as a whole failed and nothing of it is committed: each write is tried again alone, so a disk that is
    /// full only for a large write still takes the small ones, and each gets its own answer.
    /// </summary>
    private List<WriteRequest>? FailBatch(List<WriteRequest> batch, WriteRequest leader, Exception ex)
    {
        var db = _connection!.Connection.Handle!;
        if (raw.sqlite3_get_autocommit(db) == 0)
        {
            raw.sqlite3_exec(db, Sql.Rollback);
        }

        if (batch.Count == 1 || ex is SqliteException { SqliteErrorCode: raw.SQLITE_BUSY or raw.SQLITE_LOCKED })
        {
            CloseConnection();
            batch.ForEach(r => r.Error = ex);
            return null;
        }

        foreach (var request in batch)
        {
            request.Error = null;
            Run([request], request); // as its own leader: a lock now fails it rather than putting it back
        }

        return null;
    }

    /// <summary>
    /// Another process holds the write lock. The leader's write fails, and so does every write that has waited the lock
    /// wait since a batch first took it, or whose deadline passed; the others go back to the head of the queue.
    /// </summary>
    private List<WriteRequest>? Locked(List<WriteRequest> batch, WriteRequest leader)
    {
        var locked = new SqliteException("database is locked", raw.SQLITE_BUSY);
        List<WriteRequest>? putBack = null;
        foreach (var request in batch)
        {
            if (ReferenceEquals(request, leader) || request.DeadlinePassed || Stopwatch.GetElapsedTime(request.FirstClaimed) >= database.LockWait)
            {
                request.Error = locked;
            }
            else
            {
                (putBack ??= []).Add(request);
            }
        }

        return putBack;
    }

    private void CloseConnection()
    {
        foreach (var statement in _prepared.Values)
        {
            statement.Dispose(); // finalized before the connection closes
        }

        _prepared.Clear();
        Interlocked.Exchange(ref _connection, null)?.Dispose();
    }

    /// <summary>Runs one of the transaction statements, prepared once; returns SQLite's result code.</summary>
    private int Exec(sqlite3 db, string sql, out string? message)
    {
        message = null;
        if (!_prepared.TryGetValue(sql, out var statement))
        {
            var prepared = raw.sqlite3_prepare_v2(db, sql, out statement);
            if (prepared != raw.SQLITE_OK)
            {
                statement.Dispose();
                message = raw.sqlite3_errmsg(db).utf8_to_string();
                return prepared;
            }

            _prepared[sql] = statement;
        }

        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc == raw.SQLITE_DONE)
        {
            return raw.SQLITE_OK;
        }

        message = raw.sqlite3_errmsg(db).utf8_to_string();
        return rc;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // The native API: Microsoft.Data.Sqlite's busy handling counts whole seconds and cannot be told not to wait.
    private bool RetryWhileBusy(sqlite3 db, string sql, TimeSpan wait)
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            var rc = Exec(db, sql, out var message);
            if (rc == raw.SQLITE_OK)
            {
                return true;
            }

            if (!IsBusy(rc))
            {
                throw new SqliteException(message, rc);
            }

            var left = wait - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            var delay = TimeSpan.FromMilliseconds(BusyBackoffMilliseconds[Math.Min(attempt, BusyBackoffMilliseconds.Length - 1)]);
            Thread.Sleep(delay < left ? delay : left);
        }
    }

    private bool TryExec(sqlite3 db, string sql, out Exception failure)
    {
        var rc = Exec(db, sql, out var message);
        failure = rc == raw.SQLITE_OK ? null! : new SqliteException(message, rc);
        return rc == raw.SQLITE_OK;
    }

    // Extended result codes keep the primary code in their low byte (SQLITE_BUSY_SNAPSHOT is SQLITE_BUSY | 2 << 8).
    private static bool IsBusy(int rc) => (rc & 0xFF) is raw.SQLITE_BUSY or raw.SQLITE_LOCKED;
}

/// <summary>Where a write is in <see cref="WriteQueue"/>.</summary>
internal enum WriteState
{
    /// <summary>Waiting; removed if its deadline passes now.</summary>
    Queued,

    /// <summary>At the head of the queue, its thread runs the next batch.</summary>
    Leading,

    /// <summary>In a running batch: it may commit, so its caller waits for the outcome.</summary>
    Claimed,

    /// <summary>Committed (no error) or failed.</summary>
    Done,
}

/// <summary>One write waiting in a <see cref="WriteQueue"/>. Every field changes under the queue's lock.</summary>
internal sealed class WriteRequest(Action<PooledConnection> apply, long bytes, long deadline)
{
    public Action<PooledConnection> Apply { get; } = apply;

    /// <summary>The bytes it writes.</summary>
    public long Bytes { get; } = bytes;

    /// <summary>When a batch first took it (a Stopwatch timestamp): its wait for another process's lock counts from here.</summary>
    public long FirstClaimed { get; set; }

    /// <summary>Its caller's deadline (a Stopwatch timestamp), 0 for none.</summary>
    public long Deadline { get; } = deadline;

    public bool DeadlinePassed => Deadline != 0 && Stopwatch.GetTimestamp() >= Deadline;

    public WriteState State { get; set; }

    public LinkedListNode<WriteRequest>? Node { get; set; }

    /// <summary>Null for the thread that leads at once; the others wait on it.</summary>
    public ManualResetEventSlim? Signal { get; set; }

    public Exception? Error { get; set; }

    public void Complete(Exception? error)
    {
        Error = error;
        State = WriteState.Done;
        Signal?.Set();
    }
}

/// <summary>The write's deadline passed while it was queued: it was never started, so it wrote nothing.</summary>
internal sealed class WriteNotStartedException : Exception
{
    public WriteNotStartedException()
        : base("the request's deadline passed while the write waited for its turn; it was not started")
    {
    }

    public WriteNotStartedException(string message)
        : base(message)
    {
    }

    public WriteNotStartedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
