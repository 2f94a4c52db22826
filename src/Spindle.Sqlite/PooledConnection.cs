using Microsoft.Data.Sqlite;

namespace Spindle.Sqlite;

/// <summary>
/// One pooled connection with its prepared statements. Used by one thread at a time (rented from
/// <see cref="SqliteDatabase"/>), so the commands are reused without locking.
/// </summary>
internal sealed class PooledConnection : IDisposable
{
    private readonly SqliteCommand?[] _commands = new SqliteCommand?[Sql.Statements.Length];
    private readonly Action? _closed;
    private int _timeoutSeconds;
    private bool _disposed;

    /// <param name="connection">The open connection.</param>
    /// <param name="closed">Called once when this is disposed (the database counts its open connections).</param>
    public PooledConnection(SqliteConnection connection, Action? closed = null)
    {
        Connection = connection;
        _closed = closed;
        _timeoutSeconds = connection.DefaultTimeout;
    }

    public SqliteConnection Connection { get; }

    /// <summary>
    /// Makes every lock wait of the next statements end by the thread's <see cref="Core.KeyValueDeadline"/>, and by
    /// <paramref name="lockWait"/> at the latest. Microsoft.Data.Sqlite counts its busy-retry wait in whole seconds,
    /// so a wait ends within a second after the deadline.
    /// </summary>
    public void BoundWaits(TimeSpan lockWait)
    {
        var wait = Core.KeyValueDeadline.Bound(lockWait);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        if (seconds == _timeoutSeconds)
        {
            return;
        }

        _timeoutSeconds = seconds;
        Connection.DefaultTimeout = seconds; // implicit commands, such as BEGIN in BeginTransaction
        foreach (var command in _commands)
        {
            command?.CommandTimeout = seconds;
        }
    }

    /// <summary>Set when the connection failed in a way that makes reuse unsafe.</summary>
    public bool Broken { get; set; }

    /// <summary>
    /// Returns the prepared command for <paramref name="statement"/> with <paramref name="transaction"/> attached. It
    /// holds one parameter for each name of <see cref="Sql.Parameters"/> its text uses; bind them by name, for example
    /// <c>command.Parameters[Sql.Key].Value = key</c>.
    /// </summary>
    public SqliteCommand Command(Statement statement, SqliteTransaction? transaction = null)
    {
        var command = _commands[(int)statement];
        if (command is null)
        {
            command = Connection.CreateCommand();
            command.CommandText = Sql.Statements[(int)statement];
            command.CommandTimeout = _timeoutSeconds;
            foreach (var name in Sql.Parameters)
            {
                if (command.CommandText.Contains(name, StringComparison.Ordinal))
                {
                    command.Parameters.Add(new SqliteParameter { ParameterName = name });
                }
            }

            _commands[(int)statement] = command;
        }

        command.Transaction = transaction;
        return command;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _closed?.Invoke();
        foreach (var command in _commands)
        {
            command?.Dispose();
        }

        Connection.Dispose();
    }
}
