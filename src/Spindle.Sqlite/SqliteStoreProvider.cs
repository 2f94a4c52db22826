using Spindle.Core;

namespace Spindle.Sqlite;

/// <summary>
/// Runtime-config type <c>spin</c>: SQLite. Labels configured with the same file share one
/// <see cref="SqliteDatabase"/> (one connection pool and one writer lock), as Spin keeps all labels in one table.
/// </summary>
public sealed class SqliteStoreProvider : KeyValueStoreProvider<SqliteStoreOptions>, IDisposable
{
    private readonly Dictionary<string, SqliteDatabase> _files = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public override string Type => "spin";

    /// <inheritdoc/>
    public override IKeyValueStoreManager Create(SqliteStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(options.Path))
        {
            return SqliteDatabase.OpenInMemory();
        }

        var path = System.IO.Path.GetFullPath(options.Path, context.BaseDirectory);
        lock (_gate)
        {
            if (!_files.TryGetValue(path, out var database) || database.IsDisposed)
            {
                database = SqliteDatabase.OpenFile(path);
                _files[path] = database;
            }

            return database;
        }
    }

    /// <inheritdoc/>
    public override StoreLocation Describe(SqliteStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        return string.IsNullOrEmpty(options.Path)
            ? StoreLocation.InMemory
            : new StoreLocation($"\"{System.IO.Path.GetFullPath(options.Path, context.BaseDirectory)}\"", IsTemporary: false);
    }

    /// <summary>Closes every database file this provider opened.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var database in _files.Values)
            {
                database.Dispose();
            }

            _files.Clear();
        }
    }
}
