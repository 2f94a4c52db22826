using Npgsql;
using Spindle.Core;

namespace Spindle.Postgres;

/// <summary>
/// Runtime-config type <c>postgres</c>: PostgreSQL through Npgsql. Labels configured with the same connection string
/// and table share one <see cref="PostgresDatabase"/> (one connection pool), and their rows one table, told apart by
/// its <c>store</c> column.
/// </summary>
public sealed class PostgresStoreProvider : KeyValueStoreProvider<PostgresStoreOptions>, IDisposable
{
    private readonly Dictionary<(string, string), PostgresDatabase> _databases = [];
    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public override string Type => "postgres";

    /// <inheritdoc/>
    public override IKeyValueStoreManager Create(PostgresStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        lock (_gate)
        {
            // Building the pool opens nothing, so holding the lock here never waits on the network.
            var key = (options.ConnectionString, options.Table);
            if (!_databases.TryGetValue(key, out var database))
            {
                database = new PostgresDatabase(options.ConnectionString, options.Table);
                _databases[key] = database;
            }

            return database;
        }
    }

    /// <inheritdoc/>
    public override StoreLocation Describe(PostgresStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        return new StoreLocation(PostgresDatabase.Describe(new NpgsqlConnectionStringBuilder(options.ConnectionString), options.Table), IsTemporary: false);
    }

    /// <summary>Closes every connection pool this provider opened.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var database in _databases.Values)
            {
                database.Dispose();
            }

            _databases.Clear();
        }
    }
}
