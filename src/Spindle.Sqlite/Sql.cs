namespace Spindle.Sqlite;

/// <summary>Every statement the SQLite backend runs, in one place.</summary>
internal static class Sql
{
    /// <summary>The label: <c>spin_key_value.store</c>.</summary>
    public const string Store = "$store";

    /// <summary>The key.</summary>
    public const string Key = "$key";

    /// <summary>The value's bytes.</summary>
    public const string Value = "$value";

    /// <summary>Where a key page starts: the prefix, or the cursor's last key.</summary>
    public const string From = "$from";

    /// <summary>How many rows a key page reads.</summary>
    public const string Limit = "$limit";

    /// <summary>The version a swap expects.</summary>
    public const string Version = "$version";

    /// <summary>Every parameter name; a prepared command holds those its text uses, bound by name.</summary>
    public static readonly string[] Parameters = [Store, Key, Value, From, Limit, Version];

    /// <summary>Statement texts indexed by <see cref="Statement"/>.</summary>
    public static readonly string[] Statements = [Get, Set, Delete, Exists, ListFrom, ListAfter, GetVersioned, SwapIfVersion, InsertIfAbsent];

    // spin_key_value is Spin's table, byte for byte (crates/key-value-spin), so Spin and Spindle read each other's
    // files. spindle_* objects are ours: a version per key for compare-and-swap, kept by triggers so that writes made
    // by Spin itself also change the version (Spin's CAS compares values, which misses A-B-A changes).
    // Only run (as CreateSchemaTransaction) when InspectSchema finds something missing: on a complete file, opening
    // it takes no write lock.
    public const string CreateSchema = """
        CREATE TABLE IF NOT EXISTS spin_key_value (
          store TEXT NOT NULL,
          key   TEXT NOT NULL,
          value BLOB NOT NULL,
          PRIMARY KEY (store, key)
        );
        CREATE TABLE IF NOT EXISTS spindle_counter (
          name  TEXT PRIMARY KEY,
          value INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO spindle_counter (name, value) VALUES ('version', 0);
        CREATE TABLE IF NOT EXISTS spindle_key_version (
          store   TEXT NOT NULL,
          key     TEXT NOT NULL,
          version INTEGER NOT NULL,
          PRIMARY KEY (store, key)
        ) WITHOUT ROWID;
        CREATE TRIGGER IF NOT EXISTS spindle_version_after_insert AFTER INSERT ON spin_key_value BEGIN
          UPDATE spindle_counter SET value = value + 1 WHERE name = 'version';
          DELETE FROM spindle_key_version WHERE store = NEW.store AND key = NEW.key;
          INSERT OR REPLACE INTO spindle_key_version (store, key, version)
            VALUES (NEW.store, NEW.key, (SELECT value FROM spindle_counter WHERE name = 'version'));
        END;
        CREATE TRIGGER IF NOT EXISTS spindle_version_after_update AFTER UPDATE ON spin_key_value BEGIN
          UPDATE spindle_counter SET value = value + 1 WHERE name = 'version';
          DELETE FROM spindle_key_version WHERE store = OLD.store AND key = OLD.key;
          INSERT OR REPLACE INTO spindle_key_version (store, key, version)
            VALUES (NEW.store, NEW.key, (SELECT value FROM spindle_counter WHERE name = 'version'));
        END;
        CREATE TRIGGER IF NOT EXISTS spindle_version_after_delete AFTER DELETE ON spin_key_value BEGIN
          DELETE FROM spindle_key_version WHERE store = OLD.store AND key = OLD.key;
        END;
        """;

    /// <summary><see cref="CreateSchema"/> in one write transaction, so the objects appear together.</summary>
    public const string CreateSchemaTransaction = "BEGIN IMMEDIATE;\n" + CreateSchema + "\nCOMMIT;";

    public const string Rollback = "ROLLBACK;";

    // Reading the mode needs no lock; setting WAL needs every other connection to the file gone.
    public const string JournalMode = "PRAGMA journal_mode";

    public const string JournalModeWal = "PRAGMA journal_mode=WAL;";

    /// <summary>How many tables and triggers <see cref="CreateSchema"/> creates (the second column of <see cref="InspectSchema"/>).</summary>
    public const int SchemaObjectCount = 6;

    // Reads only, so it takes no write lock: the first column says whether Spin's table exists, the second how many
    // of the SchemaObjectCount objects CreateSchema makes exist.
    public const string InspectSchema = """
        SELECT
          (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'spin_key_value'),
          (SELECT count(*) FROM sqlite_master WHERE
             (type = 'table' AND name IN ('spin_key_value', 'spindle_counter', 'spindle_key_version'))
             OR (type = 'trigger' AND name IN
               ('spindle_version_after_insert', 'spindle_version_after_update', 'spindle_version_after_delete')))
        """;

    // Only valid once spindle_counter exists.
    public const string InspectCounter = "SELECT count(*) FROM spindle_counter WHERE name = 'version'";

    // FULL: in WAL mode NORMAL may lose the last commits on power loss; a write must be durable when acknowledged.
    public const string SynchronousFull = "PRAGMA synchronous=FULL;";

    public const string Get = "SELECT value FROM spin_key_value WHERE store = $store AND key = $key";

    // Spin's upsert, unchanged.
    public const string Set = """
        INSERT INTO spin_key_value (store, key, value) VALUES ($store, $key, $value)
        ON CONFLICT (store, key) DO UPDATE SET value = excluded.value
        """;

    public const string Delete = "DELETE FROM spin_key_value WHERE store = $store AND key = $key";

    // Answered from the primary-key index alone: the value is never read.
    public const string Exists = "SELECT 1 FROM spin_key_value WHERE store = $store AND key = $key";

    // Keys of a prefix are contiguous in byte order, so the page starts at the prefix (or just after the cursor) and
    // the caller stops at the first key without the prefix. One extra row tells whether another page exists.
    public const string ListFrom = """
        SELECT key FROM spin_key_value WHERE store = $store AND key >= $from ORDER BY key LIMIT $limit
        """;

    public const string ListAfter = """
        SELECT key FROM spin_key_value WHERE store = $store AND key > $from ORDER BY key LIMIT $limit
        """;

    // A row Spin wrote before our triggers existed has no version row: it has not changed since, so it is version 0.
    public const string GetVersioned = """
        SELECT v.value, coalesce(k.version, 0)
        FROM spin_key_value v LEFT JOIN spindle_key_version k ON k.store = v.store AND k.key = v.key
        WHERE v.store = $store AND v.key = $key
        """;

    public const string SwapIfVersion = """
        UPDATE spin_key_value SET value = $value
        WHERE store = $store AND key = $key
          AND coalesce((SELECT version FROM spindle_key_version WHERE store = $store AND key = $key), 0) = $version
        """;

    public const string InsertIfAbsent = """
        INSERT INTO spin_key_value (store, key, value) VALUES ($store, $key, $value)
        ON CONFLICT (store, key) DO NOTHING
        """;
}

/// <summary>The statements a pooled connection prepares, indexing <see cref="Sql.Statements"/>.</summary>
internal enum Statement
{
    Get,
    Set,
    Delete,
    Exists,
    ListFrom,
    ListAfter,
    GetVersioned,
    SwapIfVersion,
    InsertIfAbsent,
}
