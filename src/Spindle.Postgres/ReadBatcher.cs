using System.Diagnostics;
using Npgsql;
using Spindle.Core;

namespace Spindle.Postgres;

/// <summary>
/// Lets concurrent single-row reads (get, exists) of one database share round trips. A read that finds fewer than
/// <see cref="MaxRunning"/> batches running runs at once, on its own thread, as a batch's leader; reads that arrive
/// meanwhile queue. When a batch ends, its leader hands over to the first queued read, whose thread sends everything
/// queued so far (up to <see cref="MaxBatch"/> reads, every label mixed) as one <see cref="NpgsqlBatch"/>: one write, one
/// round trip, one wake-up of that thread, instead of one each per read. There is no timer: a read under no load is
/// one statement on its own, as before.
/// </summary>
/// <remarks>
/// <para>Why: Npgsql keeps its sockets non-blocking, so .NET serves each synchronous read on them by parking the thread
/// and waking it from the socket engine's thread: with one guest thread per read, those wake-ups, not the server, cost
/// most of a read's time (bench/README.md, bench/backends). Sharing the round trip shares them.</para>
/// <para>Each read of a batch is the statement it would run alone, with its own parameters, in the order queued; the
/// batch starts after every read in it was queued, so a read sees every write acknowledged before it was called. A
/// failure of the batch (the server went away, a timeout) is each of its reads' failure.</para>
/// <para>Deadlines (<see cref="KeyValueDeadline"/>): a leader's statements are bounded by its own deadline. A queued
/// read, or one in a running batch, whose deadline passes stops waiting and fails with
/// <see cref="KeyValueErrorKind.Io"/>: a read changes nothing, so abandoning it is safe, and its answer, if one comes,
/// is dropped.</para>
/// </remarks>
internal sealed class ReadBatcher(PostgresDatabase database, int maxRunning)
{
    /// <summary>At most this many reads in one batch.</summary>
    internal const int MaxBatch = 64;

    private readonly Lock _lock = new();
    private readonly LinkedList<Read> _queue = new();
    private int _running;
    private long _batches;
    private long _reads;

    private enum ReadState
    {
        Queued,
        Leading,
        Claimed,
        Done,
        Abandoned,
    }

    /// <summary>How many batches may run at once (each on its own connection).</summary>
    public int MaxRunning { get; } = maxRunning > 0 ? maxRunning : throw new ArgumentOutOfRangeException(nameof(maxRunning));

    /// <summary>Batches running now (for tests).</summary>
    internal int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>Batches sent so far (for tests and diagnostics).</summary>
    internal long Batches => Interlocked.Read(ref _batches);

    /// <summary>Reads answered by those batches.</summary>
    internal long Reads => Interlocked.Read(ref _reads);

    /// <summary>
    /// Runs <paramref name="sql"/> (parameters: the label as text, the key as bytea) and returns the first column of its
    /// first row, or <see langword="null"/> when it returns no row.
    /// </summary>
    public object? Run(string operation, string label, string sql, byte[] key)
    {
        KeyValueDeadline.ThrowIfPassed(operation, label);
        var read = new Read(operation, label, sql, key, KeyValueDeadline.Timestamp);
        lock (_lock)
        {
            if (_running < MaxRunning)
            {
                _running++;
                read.State = ReadState.Leading;
            }
            else
            {
                read.Signal = new ManualResetEventSlim(false, spinCount: 1);
                read.Node = _queue.AddLast(read);
            }
        }

        try
        {
            if (read.Signal is null || WaitForTurn(read))
            {
                Lead(read);
            }
        }
        finally
        {
            read.Signal?.Dispose(); // every Set happens under the lock, before the state is Done or Leading
        }

        return read.Error is { } error ? throw Answer(read, error) : read.Result;
    }

    /// <summary>Waits until the read is answered or abandoned (false), or this thread leads the next batch (true).</summary>
    private bool WaitForTurn(Read read)
    {
        var signal = read.Signal!;
        while (true)
        {
            signal.Wait(KeyValueDeadline.MillisecondsUntil(read.Deadline));
            lock (_lock)
            {
                var passed = read.Deadline != 0 && Stopwatch.GetTimestamp() >= read.Deadline;
                switch (read.State)
                {
                    case ReadState.Done:
                        return false;
                    case ReadState.Leading when passed:
                        // Handed the lead after its deadline: it steps aside and hands the lead on.
                        read.State = ReadState.Abandoned;
                        HandOverLocked();
                        read.Error = new TimeoutException("the read waited for its turn until the request's deadline");
                        return false;
                    case ReadState.Leading:
                        return true;
                    case ReadState.Queued when passed:
                        _queue.Remove(read.Node!);
                        read.State = ReadState.Abandoned;
                        read.Error = new TimeoutException("the read waited for its turn until the request's deadline");
                        return false;
                    case ReadState.Claimed when passed:
                        read.State = ReadState.Abandoned;
                        read.Error = new TimeoutException("the server did not answer the read before the request's deadline");
                        return false;
                }

                signal.Reset(); // under the lock, so a Set made after this check is not lost
            }
        }
    }

    /// <summary>Sends <paramref name="self"/> and the reads queued behind it as one batch, answers them, and hands over.</summary>
    private void Lead(Read self)
    {
        var batch = new List<Read> { self };
        lock (_lock)
        {
            while (batch.Count < MaxBatch && _queue.First is { } node)
            {
                _queue.RemoveFirst();
                node.Value.State = ReadState.Claimed;
                batch.Add(node.Value);
            }
        }

        Exception? failure;
        try
        {
            failure = database.Execute(connection => Send(connection, batch));
        }
        catch (Exception ex)
        {
            // Not a driver failure (a defect): every read of the batch must still be answered, so none waits forever.
            failure = ex;
        }

        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _reads, batch.Count);
        lock (_lock)
        {
            foreach (var read in batch)
            {
                read.Error ??= failure;
                if (read.State == ReadState.Claimed)
                {
                    read.State = ReadState.Done;
                    read.Signal!.Set();
                }
            }

            HandOverLocked();
        }
    }

    /// <summary>Gives this batch's slot to the first queued read, or frees it.</summary>
    private void HandOverLocked()
    {
        if (_queue.First is { } next)
        {
            _queue.RemoveFirst();
            next.Value.State = ReadState.Leading;
            next.Value.Signal!.Set();
        }
        else
        {
            _running--;
        }
    }

    private void Send(NpgsqlConnection connection, List<Read> batch)
    {
        if (batch.Count == 1)
        {
            var read = batch[0];
            using var command = database.Command(connection, read.Sql);
            PostgresSql.AddStoreAndKey(command.Parameters, read.Label, read.Key);
            read.Result = Value(command.ExecuteScalar());
            return;
        }

        using var statements = database.Batch(connection);
        foreach (var read in batch)
        {
            var statement = new NpgsqlBatchCommand(read.Sql);
            PostgresSql.AddStoreAndKey(statement.Parameters, read.Label, read.Key);
            statements.BatchCommands.Add(statement);
        }

        using var reader = statements.ExecuteReader();
        foreach (var read in batch)
        {
            read.Result = reader.Read() ? Value(reader.GetValue(0)) : null;
            reader.NextResult();
        }
    }

    private static object? Value(object? value) => value is DBNull ? null : value;

    /// <summary>The exception the read's caller gets, made on the caller's thread (its message names its deadline).</summary>
    private static KeyValueException Answer(Read read, Exception error) =>
        PostgresDatabase.IsDriverFailure(error)
            ? PostgresDatabase.Failure(read.Operation, read.Label, error)
            : new KeyValueException(KeyValueErrorKind.Io, $"PostgreSQL {read.Operation} failed for store '{read.Label}': {error.Message}", error);

    private sealed class Read(string operation, string label, string sql, byte[] key, long deadline)
    {
        public string Operation { get; } = operation;

        public string Label { get; } = label;

        public string Sql { get; } = sql;

        public byte[] Key { get; } = key;

        /// <summary>Stopwatch timestamp; 0 = none.</summary>
        public long Deadline { get; } = deadline;

        public ReadState State { get; set; }

        public ManualResetEventSlim? Signal { get; set; }

        public LinkedListNode<Read>? Node { get; set; }

        public object? Result { get; set; }

        public Exception? Error { get; set; }
    }
}
