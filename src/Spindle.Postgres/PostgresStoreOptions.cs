using System.Text.RegularExpressions;
using Npgsql;

namespace Spindle.Postgres;

/// <summary>Options of runtime-config type <c>postgres</c>.</summary>
/// <param name="ConnectionString">
/// An Npgsql connection string, for example <c>Host=db;Database=app;Username=spindle;Password=...</c>. Its
/// <c>Timeout</c> (connect, seconds) and <c>Command Timeout</c> bound each call when the request has no earlier
/// deadline.
/// </param>
/// <param name="Table">
/// The table that holds every label's rows, optionally schema-qualified (<c>kv.spindle</c>): letters, digits and
/// underscores. It is created on first use.
/// </param>
public sealed partial record PostgresStoreOptions(string ConnectionString, string Table = PostgresStoreOptions.DefaultTable)
{
    /// <summary>The table used when the options name none.</summary>
    public const string DefaultTable = "spindle_key_value";

    /// <summary>The connection string, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is not a valid Npgsql connection string.</exception>
    public string ConnectionString { get; init; } = CheckConnectionString(ConnectionString);

    /// <summary>The table name, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is not a plain (optionally schema-qualified) identifier.</exception>
    public string Table { get; init; } = CheckTable(Table);

    // Records print every property; the connection string may hold a password, so only its server part is shown.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        var server = new NpgsqlConnectionStringBuilder(ConnectionString);
        builder.Append("Host = ").Append(server.Host).Append(", Port = ").Append(server.Port)
            .Append(", Database = ").Append(server.Database).Append(", Table = ").Append(Table);
        return true;
    }

    private static string CheckConnectionString(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ArgumentException("connection_string is empty; set it to an Npgsql connection string such as Host=localhost;Database=app;Username=spindle");
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            // The driver's message may quote the string, password included, so it is not repeated here.
            throw new ArgumentException(
                "connection_string is not a valid Npgsql connection string; write it as Host=...;Database=...;Username=...;Password=...");
        }

        return connectionString;
    }

    private static string CheckTable(string table)
    {
        if (table is null || !TableName().IsMatch(table))
        {
            throw new ArgumentException(
                $"table \"{table}\" is not a plain table name; use letters, digits and underscores (optionally schema.table), for example \"{DefaultTable}\"");
        }

        return table;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?$", RegexOptions.CultureInvariant)]
    private static partial Regex TableName();
}
