using System.Globalization;
using System.Runtime.ExceptionServices;
using Microsoft.Data.Sqlite;
using Spindle.Core;
using SQLitePCL;

namespace Spindle.Sqlite;

/// <summary>One label's rows in <c>spin_key_value</c>.</summary>
internal sealed class SqliteStore(SqliteDatabase database, string label) : IKeyValueStore
{
    public string Label { get; } = label;

    public byte[]? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);

        // The hottest path: no closure, no lookups by name.
        PooledConnection? connection = null;
        try
        {
            connection = database.Rent();
            connection.BoundWaits(database.LockWait);
            database.EnsureReadable(connection);
            return ReadValue(connection, key, null);
        }
        catch (SqliteException ex)
        {
            connection?.Broken = true;
            throw Failure("get", ex);
        }
        finally
        {
            if (connection is not null)
            {
                database.Return(connection);
            }
        }
    }

    public void Set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        Write("set", value.Length, connection => Upsert(connection, key, value, null));
    }

    public void Delete(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Write("delete", 0, connection => Remove(connection, key, null));
    }

    public bool Exists(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Read("exists", connection =>
        {
            var command = Bind(connection.Command(Statement.Exists), key);
            return command.ExecuteScalar() is not null;
        });
    }

    public KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var (from, afterFrom) = KeyPages.Start(prefix, cursor);
        return Read("list-keys", connection =>
        {
            var command = connection.Command(afterFrom ? Statement.ListAfter : Statement.ListFrom);
            var parameters = command.Parameters;
            parameters[Sql.Store].Value = Label;
            parameters[Sql.From].Value = from;
            parameters[Sql.Limit].Value = (long)limit + 1;
            using var reader = command.ExecuteReader();
            return KeyPages.Collect(Keys(reader), prefix, limit);
        });
    }

    private static IEnumerable<string> Keys(SqliteDataReader reader)
    {
        while (reader.Read())
        {
            yield return reader.GetString(0);
        }
    }

    public IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return Read("get-many", connection =>
        {
            // One read transaction: every value comes from the same snapshot.
            using var transaction = connection.Connection.BeginTransaction(deferred: true);
            var result = new KeyValuePair<string, byte[]?>[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                result[i] = new(keys[i], ReadValue(connection, keys[i], transaction));
            }

            transaction.Commit();
            return result;
        });
    }

    public void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        long bytes = 0;
        foreach (var item in items)
        {
            bytes += item.Value.Length;
        }

        // Atomic: a write of the batch, inside its own savepoint.
        Write("set-many", bytes, connection =>
        {
            foreach (var (key, value) in items)
            {
                Upsert(connection, key, value, null);
            }
        });
    }

    public void DeleteMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Write("delete-many", 0, connection =>
        {
            foreach (var key in keys)
            {
                Remove(connection, key, null);
            }
        });
    }

    public long Increment(string key, long delta)
    {
        ArgumentNullException.ThrowIfNull(key);
        long next = 0;
        Write("increment", 0, connection =>
        {
            // The batch's transaction holds the write lock (BEGIN IMMEDIATE) before this reads, so no other process can
            // interleave, and the read sees the writes queued before this one.
            var current = ReadValue(connection, key, null) is { } stored ? CounterEncoding.Decode(key, stored) : 0;
            next = CounterEncoding.Add(key, current, delta);
            Upsert(connection, key, CounterEncoding.Encode(next), null);
        });
        return next;
    }

    public VersionedValue GetVersioned(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Read("cas-current", connection =>
        {
            // A version is only meaningful once the triggers that keep it exist.
            database.EnsureWritable(connection);
            using var reader = Bind(connection.Command(Statement.GetVersioned), key).ExecuteReader();
            return reader.Read()
                ? new VersionedValue(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1).ToString(CultureInfo.InvariantCulture))
                : default;
        });
    }

    public bool TrySwap(string key, string? expectedVersion, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        long version = 0;
        if (expectedVersion is not null && !long.TryParse(expectedVersion, NumberStyles.None, CultureInfo.InvariantCulture, out version))
        {
            return false; // not a token this backend issued, so it cannot match
        }

        var swapped = false;
        Write("cas-swap", value.Length, connection =>
        {
            var command = Bind(connection.Command(expectedVersion is null ? Statement.InsertIfAbsent : Statement.SwapIfVersion), key);
            command.Parameters[Sql.Value].Value = value;
            if (expectedVersion is not null)
            {
                command.Parameters[Sql.Version].Value = version;
            }

            swapped = command.ExecuteNonQuery() == 1;
        });
        return swapped;
    }

    private byte[]? ReadValue(PooledConnection connection, string key, SqliteTransaction? transaction)
    {
        using var reader = Bind(connection.Command(Statement.Get, transaction), key).ExecuteReader();
        return reader.Read() ? reader.GetFieldValue<byte[]>(0) : null;
    }

    private void Upsert(PooledConnection connection, string key, byte[] value, SqliteTransaction? transaction)
    {
        var command = Bind(connection.Command(Statement.Set, transaction), key);
        command.Parameters[Sql.Value].Value = value;
        command.ExecuteNonQuery();
    }

    private void Remove(PooledConnection connection, string key, SqliteTransaction? transaction) =>
        Bind(connection.Command(Statement.Delete, transaction), key).ExecuteNonQuery();

    private SqliteCommand Bind(SqliteCommand command, string key)
    {
        var parameters = command.Parameters;
        parameters[Sql.Store].Value = Label;
        parameters[Sql.Key].Value = key;
        return command;
    }

    private T Read<T>(string operation, Func<PooledConnection, T> action)
    {
        PooledConnection? connection = null;
        try
        {
            connection = database.Rent();
            connection.BoundWaits(database.LockWait);
            database.EnsureReadable(connection);
            return action(connection);
        }
        catch (SqliteException ex)
        {
            connection?.Broken = true;
            throw Failure(operation, ex);
        }
        finally
        {
            if (connection is not null)
            {
                database.Return(connection);
            }
        }
    }

    // Group commit (WriteQueue): the write runs in the database's next batch, on its writer connection, and this returns
    // once that batch is committed and fsynced, or with this write's own failure.
    private void Write(string operation, long bytes, Action<PooledConnection> action)
    {
        switch (database.Writes.Submit(action, bytes))
        {
            case null:
                return;
            case SqliteException ex:
                throw Failure(operation, ex);
            case WriteNotStartedException:
                throw new KeyValueException(
                    KeyValueErrorKind.Io,
                    $"SQLite {operation} failed for store '{Label}': other writes held the database until the request's deadline, so this one was not started and wrote nothing; retry");
            case var other:
                ExceptionDispatchInfo.Throw(other); // the write's own failure, such as a value that is not a counter
                return;
        }
    }

    private KeyValueException Failure(string operation, SqliteException ex)
    {
        var reason = ex.SqliteErrorCode switch
        {
            raw.SQLITE_BUSY or raw.SQLITE_LOCKED when KeyValueDeadline.Remaining == TimeSpan.Zero => "the database is locked by another process and the request's deadline passed while waiting; retry, or stop the other process",
            raw.SQLITE_BUSY or raw.SQLITE_LOCKED => $"the database is locked by another process (waited {database.LockWait.TotalSeconds:0} s); retry, or stop the other process",
            raw.SQLITE_FULL => "the disk is full",
            raw.SQLITE_READONLY => "the database file is read-only; check its permissions",
            _ => ex.Message,
        };
        return new KeyValueException(KeyValueErrorKind.Io, $"SQLite {operation} failed for store '{Label}': {reason}", ex);
    }
}
