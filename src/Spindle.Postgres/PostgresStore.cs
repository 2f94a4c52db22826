using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Spindle.Core;

namespace Spindle.Postgres;

/// <summary>One label's rows in the table (its <c>store</c> column).</summary>
internal sealed class PostgresStore(PostgresDatabase database, string label) : IKeyValueStore
{
    // Strict: a key with a lone surrogate is a caller's mistake (ArgumentException), never stored mangled.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private PostgresSql Sql => database.Sql;

    public string Label { get; } = label;

    public byte[]? Get(string key)
    {
        var keyBytes = Encode(key);
        return (byte[]?)database.Reads.Run("get", Label, Sql.Get, keyBytes);
    }

    public void Set(string key, byte[] value)
    {
        var keyBytes = Encode(key);
        ArgumentNullException.ThrowIfNull(value);
        database.Run("set", Label, connection =>
        {
            using var command = Bind(database.Command(connection, Sql.Set), keyBytes, value);
            return command.ExecuteNonQuery();
        });
    }

    public void Delete(string key)
    {
        var keyBytes = Encode(key);
        database.Run("delete", Label, connection =>
        {
            using var command = Bind(database.Command(connection, Sql.Delete), keyBytes);
            return command.ExecuteNonQuery();
        });
    }

    public bool Exists(string key)
    {
        var keyBytes = Encode(key);
        return database.Reads.Run("exists", Label, Sql.Exists, keyBytes) is not null;
    }

    public KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var (start, afterStart) = KeyPages.Start(prefix, cursor);
        var from = Encode(start);
        return database.Run("list-keys", Label, connection =>
        {
            // Keyset paging in byte order, one row more than the page (KeyPages.Collect).
            using var command = Bind(database.Command(connection, afterStart ? Sql.ListAfter : Sql.ListFrom), from);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)limit + 1 });
            using var reader = command.ExecuteReader();
            return KeyPages.Collect(Keys(reader), prefix, limit);
        });
    }

    private static IEnumerable<string> Keys(NpgsqlDataReader reader)
    {
        while (reader.Read())
        {
            yield return Utf8.GetString(reader.GetFieldValue<byte[]>(0));
        }
    }

    public IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var keyBytes = keys.Select(Encode).ToArray();
        if (keys.Count == 0)
        {
            return [];
        }

        return database.Run("get-many", Label, connection =>
        {
            // One statement, so every value comes from the same snapshot.
            using var command = Bind(database.Command(connection, Sql.GetMany));
            command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = keyBytes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    found[Utf8.GetString(reader.GetFieldValue<byte[]>(0))] = reader.GetFieldValue<byte[]>(1);
                }
            }

            var result = new KeyValuePair<string, byte[]?>[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                result[i] = new(keys[i], found.GetValueOrDefault(keys[i]));
            }

            return result;
        });
    }

    public void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var rows = items.Select(item => (Key: Encode(item.Key), Value: item.Value ?? throw new ArgumentException("a value is null", nameof(items)))).ToArray();
        if (rows.Length == 0)
        {
            return;
        }

        database.Run("set-many", Label, connection =>
        {
            // One transaction and one round trip for the statements; a key given twice ends with its last value.
            using var transaction = connection.BeginTransaction();
            using var batch = database.Batch(connection, transaction);
            foreach (var (key, value) in rows)
            {
                var command = new NpgsqlBatchCommand(Sql.Set);
                AddStoreAndKey(command.Parameters, key);
                command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bytea });
                batch.BatchCommands.Add(command);
            }

            batch.ExecuteNonQuery();
            transaction.Commit();
            return 0;
        });
    }

    public void DeleteMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var keyBytes = keys.Select(Encode).ToArray();
        if (keyBytes.Length == 0)
        {
            return;
        }

        database.Run("delete-many", Label, connection =>
        {
            using var command = Bind(database.Command(connection, Sql.DeleteMany));
            command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = keyBytes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            return command.ExecuteNonQuery();
        });
    }

    public long Increment(string key, long delta)
    {
        var keyBytes = Encode(key);
        while (true)
        {
            var stored = database.Run("increment", Label, connection =>
            {
                using var command = Bind(database.Command(connection, Sql.Increment), keyBytes);
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delta });
                command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = CounterEncoding.Encode(delta), NpgsqlDbType = NpgsqlDbType.Bytea });
                return command.ExecuteScalar() as byte[];
            });
            if (stored is not null)
            {
                return CounterEncoding.Decode(key, stored);
            }

            // Nothing was written: the value is not a counter or the sum overflows. Read it to say which; these
            // throw unless another writer changed the value in between, and then the increment is tried again.
            var current = Get(key) is { } value ? CounterEncoding.Decode(key, value) : 0;
            CounterEncoding.Add(key, current, delta);
        }
    }

    public VersionedValue GetVersioned(string key)
    {
        var keyBytes = Encode(key);
        return database.Run("cas-current", Label, connection =>
        {
            using var command = Bind(database.Command(connection, Sql.GetVersioned), keyBytes);
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new VersionedValue(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1).ToString(CultureInfo.InvariantCulture))
                : default;
        });
    }

    public bool TrySwap(string key, string? expectedVersion, byte[] value)
    {
        var keyBytes = Encode(key);
        ArgumentNullException.ThrowIfNull(value);
        long version = 0;
        if (expectedVersion is not null && !long.TryParse(expectedVersion, NumberStyles.None, CultureInfo.InvariantCulture, out version))
        {
            return false; // not a token this backend issued, so it cannot match
        }

        return database.Run("cas-swap", Label, connection =>
        {
            using var command = Bind(database.Command(connection, expectedVersion is null ? Sql.InsertIfAbsent : Sql.SwapIfVersion), keyBytes, value);
            if (expectedVersion is not null)
            {
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version });
            }

            return command.ExecuteNonQuery() == 1;
        });
    }

    private static byte[] Encode(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            return Utf8.GetBytes(key);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("key is not valid Unicode (it contains a lone surrogate)", nameof(key), ex);
        }
    }

    private NpgsqlCommand Bind(NpgsqlCommand command, byte[]? key = null, byte[]? value = null)
    {
        AddStoreAndKey(command.Parameters, key);
        if (value is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bytea });
        }

        return command;
    }

    private void AddStoreAndKey(NpgsqlParameterCollection parameters, byte[]? key) => PostgresSql.AddStoreAndKey(parameters, Label, key);
}
