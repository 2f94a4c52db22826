using Npgsql;
using NpgsqlTypes;

namespace Spindle.Postgres;

/// <summary>
/// The statements of one table. Only the table name, checked to be a plain identifier and quoted, is part of the
/// text; labels, keys, values and versions are always parameters ($1 store, $2 key, $3 value or delta, $4 version).
/// </summary>
/// <remarks>
/// Keys are <c>bytea</c> holding UTF-8: PostgreSQL orders bytea bytewise, which is exactly the UTF-8 byte order paging
/// needs, whatever the database's collation, and bytea, unlike text, can hold a NUL. Every write takes a fresh
/// <c>version</c> from the table's sequence, so a value written back (A, B, A) never looks unchanged.
/// </remarks>
internal sealed class PostgresSql(string table)
{
    public string Table { get; } = table;

    /// <summary>Adds the parameters every statement starts with: $1 the store's label, then $2 the key (when given).</summary>
    public static void AddStoreAndKey(NpgsqlParameterCollection parameters, string label, byte[]? key)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = label, NpgsqlDbType = NpgsqlDbType.Text });
        if (key is not null)
        {
            parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Bytea });
        }
    }

    public string CreateTable { get; } = $"""
        CREATE TABLE IF NOT EXISTS {table} (
            store text COLLATE "C" NOT NULL,
            key bytea NOT NULL,
            value bytea NOT NULL,
            version bigserial NOT NULL,
            PRIMARY KEY (store, key))
        """;

    public string Get { get; } = $"SELECT value FROM {table} WHERE store = $1 AND key = $2";

    public string GetVersioned { get; } = $"SELECT value, version FROM {table} WHERE store = $1 AND key = $2";

    public string Exists { get; } = $"SELECT 1 FROM {table} WHERE store = $1 AND key = $2";

    public string Set { get; } = $"""
        INSERT INTO {table} AS t (store, key, value) VALUES ($1, $2, $3)
        ON CONFLICT (store, key) DO UPDATE SET value = EXCLUDED.value, version = DEFAULT
        """;

    public string Delete { get; } = $"DELETE FROM {table} WHERE store = $1 AND key = $2";

    public string DeleteMany { get; } = $"DELETE FROM {table} WHERE store = $1 AND key = ANY($2)";

    public string GetMany { get; } = $"SELECT key, value FROM {table} WHERE store = $1 AND key = ANY($2)";

    /// <summary>Keys from $2 on ($2 included), in byte order, at most $3.</summary>
    public string ListFrom { get; } = $"SELECT key FROM {table} WHERE store = $1 AND key >= $2 ORDER BY key LIMIT $3";

    /// <summary>Keys after $2, in byte order, at most $3.</summary>
    public string ListAfter { get; } = $"SELECT key FROM {table} WHERE store = $1 AND key > $2 ORDER BY key LIMIT $3";

    /// <summary>
    /// Adds $3 to a counter in one statement. A missing key is inserted as $4 (the delta, encoded); an existing
    /// value is updated only when it is a strict decimal i64 (optional '-', digits: <c>encode(..., 'escape')</c>
    /// shows every other byte as itself or as a backslash escape, so the pattern rejects it) and the sum fits in an
    /// i64. Otherwise no row comes back and nothing is written.
    /// </summary>
    public string Increment { get; } = $"""
        INSERT INTO {table} AS t (store, key, value) VALUES ($1, $2, $4)
        ON CONFLICT (store, key) DO UPDATE
            SET value = convert_to((encode(t.value, 'escape')::numeric + $3::numeric)::text, 'SQL_ASCII'), version = DEFAULT
            WHERE CASE WHEN length(t.value) <= 20 AND encode(t.value, 'escape') ~ '^-?[0-9]+$'
                       THEN encode(t.value, 'escape')::numeric + $3::numeric BETWEEN -9223372036854775808 AND 9223372036854775807
                       ELSE false END
        RETURNING value
        """;

    public string SwapIfVersion { get; } = $"UPDATE {table} SET value = $3, version = DEFAULT WHERE store = $1 AND key = $2 AND version = $4";

    public string InsertIfAbsent { get; } = $"INSERT INTO {table} (store, key, value) VALUES ($1, $2, $3) ON CONFLICT (store, key) DO NOTHING";
}
