using System.Globalization;
using Microsoft.Data.Sqlite;
using Spindle.Core;

namespace Spindle.Sqlite;

/// <summary>One label's rows in <c>spin_key_value</c>.</summary>
internal sealed class SqliteStore(SqliteDatabase database, string label) : IKeyValueStore
{
    public string Label { get; } = label;

    public byte[]? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);

        // The hottest path: no closure, no lookups by name.
        var session = database.Rent();
        try
        {
            return ReadValue(session, key, null);
        }
        catch (SqliteException ex)
        {
            session.Broken = true;
            throw Failure("get", ex);
        }
        finally
        {
            database.Return(session);
        }
    }

    public void Set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        Write("set", session => Upsert(session, key, value, null));
    }

    public void Delete(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Write("delete", session => Remove(session, key, null));
    }

    public bool Exists(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Read("exists", session =>
        {
            var command = Bind(session.Command(Statement.Exists), key);
            return command.ExecuteScalar() is not null;
        });
    }

    public KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var after = KeyCursor.Decode(cursor);
        var start = prefix ?? string.Empty;
        var resumeAfterCursor = after is not null && Utf8KeyComparer.Instance.Compare(after, start) >= 0;
        return Read("list-keys", session =>
        {
            var command = session.Command(resumeAfterCursor ? Statement.ListAfter : Statement.ListFrom);
            var parameters = command.Parameters;
            parameters[0].Value = Label;                          // $store
            parameters[1].Value = resumeAfterCursor ? after : start; // $from
            parameters[2].Value = (long)limit + 1;                // $limit
            var keys = new List<string>(Math.Min(limit, 256));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = reader.GetString(0);
                if (prefix is not null && !key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return new KeyPage(keys, null);
                }

                if (keys.Count == limit)
                {
                    return new KeyPage(keys, KeyCursor.After(keys[^1]));
                }

                keys.Add(key);
            }

            return new KeyPage(keys, null);
        });
    }

    public IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return Read("get-many", session =>
        {
            // One read transaction: every value comes from the same snapshot.
            using var transaction = session.Connection.BeginTransaction(deferred: true);
            var result = new KeyValuePair<string, byte[]?>[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                result[i] = new(keys[i], ReadValue(session, keys[i], transaction));
            }

            transaction.Commit();
            return result;
        });
    }

    public void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        Write("set-many", session =>
        {
            using var transaction = session.Connection.BeginTransaction();
            foreach (var (key, value) in items)
            {
                Upsert(session, key, value, transaction);
            }

            transaction.Commit();
        });
    }

    public void DeleteMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Write("delete-many", session =>
        {
            using var transaction = session.Connection.BeginTransaction();
            foreach (var key in keys)
            {
                Remove(session, key, transaction);
            }

            transaction.Commit();
        });
    }

    public long Increment(string key, long delta)
    {
        ArgumentNullException.ThrowIfNull(key);
        long next = 0;
        Write("increment", session =>
        {
            // BEGIN IMMEDIATE takes the write lock before reading, so no other process can interleave.
            using var transaction = session.Connection.BeginTransaction();
            var current = ReadValue(session, key, transaction) is { } stored ? CounterEncoding.Decode(key, stored) : 0;
            next = CounterEncoding.Add(key, current, delta);
            Upsert(session, key, CounterEncoding.Encode(next), transaction);
            transaction.Commit();
        });
        return next;
    }

    public VersionedValue GetVersioned(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Read("cas-current", session =>
        {
            using var reader = Bind(session.Command(Statement.GetVersioned), key).ExecuteReader();
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
        Write("cas-swap", session =>
        {
            var command = Bind(session.Command(expectedVersion is null ? Statement.InsertIfAbsent : Statement.SwapIfVersion), key);
            command.Parameters[2].Value = value; // $value
            if (expectedVersion is not null)
            {
                command.Parameters[3].Value = version; // $version
            }

            swapped = command.ExecuteNonQuery() == 1;
        });
        return swapped;
    }

    private byte[]? ReadValue(SqliteSession session, string key, SqliteTransaction? transaction)
    {
        using var reader = Bind(session.Command(Statement.Get, transaction), key).ExecuteReader();
        return reader.Read() ? reader.GetFieldValue<byte[]>(0) : null;
    }

    private void Upsert(SqliteSession session, string key, byte[] value, SqliteTransaction? transaction)
    {
        var command = Bind(session.Command(Statement.Set, transaction), key);
        command.Parameters[2].Value = value; // $value
        command.ExecuteNonQuery();
    }

    private void Remove(SqliteSession session, string key, SqliteTransaction? transaction) =>
        Bind(session.Command(Statement.Delete, transaction), key).ExecuteNonQuery();

    private SqliteCommand Bind(SqliteCommand command, string key)
    {
        var parameters = command.Parameters;
        parameters[0].Value = Label; // $store
        parameters[1].Value = key;   // $key
        return command;
    }

    private T Read<T>(string operation, Func<SqliteSession, T> action)
    {
        var session = database.Rent();
        try
        {
            return action(session);
        }
        catch (SqliteException ex)
        {
            session.Broken = true;
            throw Failure(operation, ex);
        }
        finally
        {
            database.Return(session);
        }
    }

    private void Write(string operation, Action<SqliteSession> action)
    {
        var session = database.Rent();
        try
        {
            lock (database.WriteGate)
            {
                action(session);
            }
        }
        catch (SqliteException ex)
        {
            session.Broken = true;
            throw Failure(operation, ex);
        }
        finally
        {
            database.Return(session);
        }
    }

    private KeyValueException Failure(string operation, SqliteException ex)
    {
        var reason = ex.SqliteErrorCode switch
        {
            5 or 6 => $"the database is locked by another process (waited {database.LockWait.TotalSeconds:0} s); retry, or stop the other process",
            13 => "the disk is full",
            8 => "the database file is read-only; check its permissions",
            _ => ex.Message,
        };
        return new KeyValueException(KeyValueErrorKind.Io, $"SQLite {operation} failed for store '{Label}': {reason}", ex);
    }
}
