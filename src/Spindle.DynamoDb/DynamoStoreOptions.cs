using System.Text.RegularExpressions;

namespace Spindle.DynamoDb;

/// <summary>Options of runtime-config type <c>aws_dynamo</c>: Spin's, plus <c>endpoint</c>.</summary>
/// <param name="Region">The AWS region, for example <c>us-east-1</c>; with <paramref name="Endpoint"/>, the region requests are signed for.</param>
/// <param name="Table">
/// The table that holds every label's items (3 to 255 letters, digits, <c>_</c>, <c>-</c> or <c>.</c>). It is
/// created on first use when missing, with partition key <c>pk</c> (string) and sort key <c>sk</c> (binary).
/// </param>
/// <param name="AccessKey">An access key id; set together with <paramref name="SecretKey"/>, or neither to use the environment's AWS credentials.</param>
/// <param name="SecretKey">The secret access key that goes with <paramref name="AccessKey"/>.</param>
/// <param name="Token">A session token for temporary credentials; needs <paramref name="AccessKey"/> and <paramref name="SecretKey"/>.</param>
/// <param name="ConsistentRead">
/// Whether get, exists, get-many and list-keys use strongly consistent reads (default false, as in Spin: a read may
/// miss a write made a moment before). Increment, compare-and-swap and large-value parts always read consistently.
/// </param>
/// <param name="Endpoint">
/// A Spindle addition: the service URL, for a local DynamoDB-compatible server (<c>http://localhost:8000</c>).
/// Without it the region's AWS endpoint is used.
/// </param>
public sealed partial record DynamoStoreOptions(
    string Region,
    string Table,
    string? AccessKey = null,
    string? SecretKey = null,
    string? Token = null,
    bool ConsistentRead = false,
    string? Endpoint = null)
{
    /// <summary>The region, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is empty or not a region name.</exception>
    public string Region { get; init; } = CheckRegion(Region);

    /// <summary>The table name, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is not a DynamoDB table name.</exception>
    public string Table { get; init; } = CheckTable(Table);

    /// <summary>The access key id, checked (with the secret key and token) when the options are created.</summary>
    /// <exception cref="ArgumentException">Only one of <c>access_key</c> and <c>secret_key</c> is set, or <c>token</c> without them.</exception>
    public string? AccessKey { get; init; } = CheckCredentials(AccessKey, SecretKey, Token);

    /// <summary>The service URL, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is not an absolute http or https URL without user, query or fragment.</exception>
    public string? Endpoint { get; init; } = CheckEndpoint(Endpoint);

    // Records print every property; the secret key and token must never reach a log, and neither does the key id.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Region = ").Append(Region).Append(", Table = ").Append(Table)
            .Append(", Credentials = ").Append(AccessKey is null ? "environment" : "access_key/secret_key")
            .Append(", ConsistentRead = ").Append(ConsistentRead ? "true" : "false");
        if (Endpoint is not null)
        {
            builder.Append(", Endpoint = ").Append(Endpoint);
        }

        return true;
    }

    private static string CheckRegion(string region)
    {
        if (region is null || !RegionName().IsMatch(region))
        {
            throw new ArgumentException(
                $"region \"{region}\" is not an AWS region name; set it to one such as \"us-east-1\" (with endpoint, the region requests are signed for)");
        }

        return region;
    }

    private static string CheckTable(string table)
    {
        if (table is null || !TableName().IsMatch(table))
        {
            throw new ArgumentException(
                $"table \"{table}\" is not a DynamoDB table name; use 3 to 255 letters, digits, '_', '-' or '.', for example \"spindle-kv\"");
        }

        return table;
    }

    private static string? CheckCredentials(string? accessKey, string? secretKey, string? token)
    {
        if ((accessKey is null) != (secretKey is null))
        {
            throw new ArgumentException(
                $"{(accessKey is null ? "secret_key" : "access_key")} is set without {(accessKey is null ? "access_key" : "secret_key")}; set both, or neither to use the environment's AWS credentials");
        }

        if (accessKey is not null && (accessKey.Length == 0 || secretKey!.Length == 0))
        {
            throw new ArgumentException("access_key and secret_key must not be empty; set both, or remove both to use the environment's AWS credentials");
        }

        if (token is not null && accessKey is null)
        {
            throw new ArgumentException("token is set without access_key and secret_key; a session token goes with the temporary key pair it was issued for");
        }

        return accessKey;
    }

    private static string? CheckEndpoint(string? endpoint)
    {
        if (endpoint is null)
        {
            return null;
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host) || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            // Not echoed: a URL with user info may hold a password.
            throw new ArgumentException(
                "endpoint is not an http:// or https:// URL such as \"http://localhost:8000\" (no user, query or fragment); remove it to use the region's AWS endpoint");
        }

        return endpoint;
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionName();

    [GeneratedRegex("^[A-Za-z0-9_.-]{3,255}$", RegexOptions.CultureInvariant)]
    private static partial Regex TableName();
}
