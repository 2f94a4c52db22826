using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using Npgsql;
using Spindle.Core;

namespace Spindle.Postgres;

/// <summary>
/// One connection pool and one table. Every call takes a pooled connection, runs its statements with timeouts cut to
/// the request's deadline (<see cref="KeyValueDeadline"/>), and returns the connection.
/// </summary>
internal sealed class PostgresDatabase : IKeyValueStoreManager, IDisposable
{
    /// <summary>The connect timeout used when the connection string sets none (Npgsql's own default is 15 s).</summary>
    public const int DefaultConnectTimeoutSeconds = 1;

    /// <summary>The <c>Max Auto Prepare</c> used when the connection string sets none: room for every statement of <see cref="PostgresSql"/>.</summary>
    public const int AutoPreparedStatements = 20;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ConcurrentDictionary<string, PostgresStore> _stores = new(StringComparer.Ordinal);
    private readonly TimeSpan _commandTimeout;
    private readonly TimeSpan _connectTimeout;
    private volatile bool _tableReady;

    /// <param name="connectionString">An Npgsql connection string; Spindle's defaults fill what it does not set.</param>
    /// <param name="table">The table, optionally schema-qualified.</param>
    /// <param name="readBatches">How many read batches may run at once (<see cref="ReadBatcher.MaxRunning"/>); 0 = one per core, at least 2.</param>
    public PostgresDatabase(string connectionString, string table, int readBatches = 0)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();

        // When a statement outlives its timeout (or the request's deadline), Npgsql first sends PostgreSQL's cancel
        // request over a new connection, which against a server that stopped answering takes up to twice Timeout,
        // and then waits Cancellation Timeout for the reply. So unless the connection string says otherwise, Spindle
        // connects with a 1 s Timeout and does not wait for the cancel's reply: a call then ends at most about 2 s
        // after its deadline.
        if (!given.Contains("TIMEOUT"))
        {
            builder.Timeout = DefaultConnectTimeoutSeconds;
        }

        if (!given.Contains("CANCELLATIONTIMEOUT"))
        {
            builder.CancellationTimeout = -1;
        }

        // Every call takes a pooled connection and gives it back, and by default Npgsql then makes the server run
        // DISCARD ALL before the next statement on it. Spindle's sessions never change session state (no SET, LISTEN,
        // temporary tables or session advisory locks; a transaction always ends before the connection goes back),
        // so there is nothing to discard and the reset only costs the server work on every call.
        if (!given.Contains("NORESETONCLOSE"))
        {
            builder.NoResetOnClose = true;
        }

        // The backend runs a few fixed statements (PostgresSql) over and over: let Npgsql prepare each one on a
        // connection after a few uses, so the server parses and plans it once per connection instead of on every
        // call. A connection string may say Max Auto Prepare=0, for a pooler in front of the server that cannot
        // keep prepared statements (PgBouncer before 1.21 in transaction mode).
        if (!given.Contains("MAXAUTOPREPARE"))
        {
            builder.MaxAutoPrepare = AutoPreparedStatements;
        }

        _commandTimeout = builder.CommandTimeout <= 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(builder.CommandTimeout);
        _connectTimeout = builder.Timeout <= 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(builder.Timeout);
        Description = Describe(builder, table);
        Sql = new PostgresSql(QuoteTable(table));
        Settings = builder;
        _dataSource = NpgsqlDataSource.Create(builder);

        // One batch per core can keep the server and this process busy at once; more only splits the batches.
        Reads = new ReadBatcher(this, readBatches > 0 ? readBatches : Math.Max(2, Environment.ProcessorCount));
    }

    public string Description { get; }

    /// <summary>The connect timeout in force, for tests.</summary>
    public TimeSpan ConnectTimeout => _connectTimeout;

    public PostgresSql Sql { get; }

    /// <summary>Shares round trips between concurrent gets and exists checks (<see cref="ReadBatcher"/>).</summary>
    public ReadBatcher Reads { get; }

    /// <summary>The connection settings in force (the connection string with Spindle's defaults), for tests.</summary>
    public NpgsqlConnectionStringBuilder Settings { get; }

    public IKeyValueStore Open(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return _stores.GetOrAdd(label, static (label, database) => new PostgresStore(database, label), this);
    }

    /// <summary>Names the server, database and table; never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder, string table)
    {
        var host = string.IsNullOrEmpty(builder.Host) ? "localhost" : builder.Host;
        var database = string.IsNullOrEmpty(builder.Database) ? builder.Username ?? "(default)" : builder.Database;
        return $"PostgreSQL table \"{table}\" in database \"{database}\" on {host}:{builder.Port}";
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a pooled connection, after creating the table if this process has not yet
    /// seen it. Driver failures become <see cref="KeyValueErrorKind.Io"/>.
    /// </summary>
    public T Run<T>(string operation, string label, Func<NpgsqlConnection, T> action)
    {
        KeyValueDeadline.ThrowIfPassed(operation, label);
        T result = default!;
        var failure = Execute(connection => result = action(connection));
        return failure is null ? result : throw Failure(operation, label, failure);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a pooled connection, after creating the table if this process has not yet
    /// seen it, and returns the driver failure it met (<see cref="IsDriverFailure"/>), or <see langword="null"/>.
    /// Any other exception propagates.
    /// </summary>
    public Exception? Execute(Action<NpgsqlConnection> action)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = OpenConnection();
            if (!_tableReady)
            {
                CreateTable(connection);
                _tableReady = true;
            }

            action(connection);
            return null;
        }
        catch (Exception ex) when (IsDriverFailure(ex))
        {
            // A network failure or timeout may have left other pooled connections dead too (a restarted server):
            // drop the idle ones so the next call connects afresh instead of failing on a stale socket.
            if (ex is not PostgresException || connection?.FullState.HasFlag(ConnectionState.Broken) == true)
            {
                _dataSource.Clear();
            }

            return ex;
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>Whether <paramref name="ex"/> is the server's or the network's doing (an <see cref="KeyValueErrorKind.Io"/> error).</summary>
    public static bool IsDriverFailure(Exception ex) =>
        ex is NpgsqlException or TimeoutException or OperationCanceledException or InvalidOperationException && ex is not KeyValueException;

    /// <summary>A command on <paramref name="connection"/> whose timeout ends at the request's deadline.</summary>
    public NpgsqlCommand Command(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = CommandTimeoutSeconds() };
        return command;
    }

    /// <summary>A batch on <paramref name="connection"/> whose timeout ends at the request's deadline.</summary>
    public NpgsqlBatch Batch(NpgsqlConnection connection, NpgsqlTransaction? transaction = null) =>
        new(connection, transaction) { Timeout = CommandTimeoutSeconds() };

    public void Dispose() => _dataSource.Dispose();

    // Npgsql's command timeout is whole seconds (0 = none): round the time left up, so a call is never cut short
    // of its deadline by more than the rounding allows and never gets "no timeout" by accident.
    private int CommandTimeoutSeconds()
    {
        var wait = KeyValueDeadline.Bound(_commandTimeout);
        return wait == Timeout.InfiniteTimeSpan ? 0 : Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
    }

    private NpgsqlConnection OpenConnection()
    {
        if (KeyValueDeadline.Remaining is not { } left || (_connectTimeout != Timeout.InfiniteTimeSpan && left >= _connectTimeout))
        {
            return _dataSource.OpenConnection(); // bounded by the connection string's Timeout
        }

        // The synchronous open cannot be cut short, and the pool's Timeout is fixed per pool. So the open runs
        // asynchronously and the guest's thread waits for it only until the deadline: an idle pooled connection
        // comes back at once; a connect that is still going at the deadline (Npgsql does not stop reading the
        // startup reply when the token fires) is left to finish or fail within Timeout, and its connection is
        // then closed.
        var deadline = new CancellationTokenSource(left);
        var opening = _dataSource.OpenConnectionAsync(deadline.Token).AsTask();
        try
        {
#pragma warning disable VSTHRD002 // Waited on the guest's own thread, bounded by the deadline (docs/threading.md).
            if (opening.Wait(left))
            {
                deadline.Dispose();
                return opening.Result;
            }
#pragma warning restore VSTHRD002
        }
        catch (AggregateException ex) when (ex.InnerException is not null)
        {
            deadline.Dispose();
            if (ex.InnerException is OperationCanceledException)
            {
                throw new TimeoutException("no connection to the server could be opened before the request's deadline", ex.InnerException);
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
        }

        _ = opening.ContinueWith(
            static (task, state) =>
            {
                ((CancellationTokenSource)state!).Dispose();
                if (task.IsCompletedSuccessfully)
                {
                    task.Result.Dispose();
                }
                else
                {
                    _ = task.Exception; // observed: the caller already got its timeout
                }
            },
            deadline,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        throw new TimeoutException("no connection to the server could be opened before the request's deadline");
    }

    private void CreateTable(NpgsqlConnection connection)
    {
        // CREATE TABLE IF NOT EXISTS alone can fail when two sessions run it at once (both see no table, one insert
        // into the catalogue loses with a unique violation), so sessions creating the table take turns on an
        // advisory lock named after it, held until the transaction ends.
        using var transaction = connection.BeginTransaction();
        using var batch = Batch(connection, transaction);
        var lockCommand = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(hashtext($1))");
        lockCommand.Parameters.Add(new NpgsqlParameter { Value = "spindle-create:" + Sql.Table });
        batch.BatchCommands.Add(lockCommand);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Sql.CreateTable));
        batch.ExecuteNonQuery();
        transaction.Commit();
    }

    private static string QuoteTable(string table) =>
        string.Join('.', table.Split('.').Select(part => "\"" + part + "\""));

    /// <summary>The <see cref="KeyValueErrorKind.Io"/> error a caller gets for a driver failure; its message names the deadline when one is set.</summary>
    public static KeyValueException Failure(string operation, string label, Exception ex)
    {
        var timedOut = ex is TimeoutException || ex.InnerException is TimeoutException || ex is NpgsqlException { InnerException: TimeoutException };
        var reason = timedOut && KeyValueDeadline.IsSet
            ? "the server did not answer before the request's deadline (see --request-timeout); check that it is running and reachable"
            : timedOut
                ? "the server did not answer in time (Timeout / Command Timeout in connection_string); check that it is running and reachable"
                : ex.Message;
        return new KeyValueException(KeyValueErrorKind.Io, $"PostgreSQL {operation} failed for store '{label}': {reason}", ex);
    }
}
