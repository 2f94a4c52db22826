namespace Spindle.Sqlite;

/// <summary>Options of runtime-config type <c>spin</c>.</summary>
/// <param name="Path">
/// The database file, relative to the runtime-config file's folder; its folder is created if missing. Without a path
/// the store lives in memory and is lost when the process exits.
/// </param>
public sealed record SqliteStoreOptions(string? Path = null);
