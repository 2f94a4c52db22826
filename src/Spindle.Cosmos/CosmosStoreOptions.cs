namespace Spindle.Cosmos;

/// <summary>Options of runtime-config type <c>azure_cosmos</c>.</summary>
/// <param name="Account">
/// The Cosmos DB account name, as in Spin: the service is <c>https://&lt;account&gt;.documents.azure.com/</c> unless
/// <paramref name="Endpoint"/> says otherwise.
/// </param>
/// <param name="Database">The database that holds <paramref name="Container"/>. It must exist.</param>
/// <param name="Container">
/// The container that holds every label's documents. It must exist and be partitioned by <c>/store_id</c>, as Spin's
/// container for stores with an app id is: each label is one logical partition.
/// </param>
/// <param name="Key">
/// The account key (primary or secondary, base64), as in Spin. Spin can also authenticate through Azure AD when the
/// key is left out; Spindle cannot, so a missing key is an error that says so.
/// </param>
/// <param name="Endpoint">
/// A Spindle addition: the account's URL, for a local server or emulator (for example <c>https://127.0.0.1:8081/</c>)
/// or a custom domain. Requests go to this endpoint only (no regional endpoints are discovered).
/// </param>
/// <param name="InsecureSkipTlsVerify">
/// A Spindle addition, for local servers only: accept any TLS certificate from <paramref name="Endpoint"/> (the Cosmos
/// emulator and test servers use self-signed ones). Off by default; refused without an <paramref name="Endpoint"/>.
/// </param>
/// <param name="AppId">
/// A Spindle addition: the app id Spin puts in front of each label in <c>store_id</c>
/// (<c>&lt;app_id&gt;/&lt;label&gt;</c>). Without it, <c>store_id</c> is the label itself.
/// </param>
/// <param name="ValueEncoding">
/// A Spindle addition: how values are written. <c>bytes</c> (the default) writes a JSON array of byte numbers, as
/// Spin does, so a Spin app reads them; <c>base64</c> writes a base64 string, a third of the size of the array form,
/// so a 1 MiB value fits Cosmos DB's 2 MB document limit (Spin cannot read those). Both forms are always read.
/// </param>
/// <param name="TimeoutMs">
/// A Spindle addition: the longest a single call may take when the request's deadline does not end sooner, in
/// milliseconds.
/// </param>
public sealed record CosmosStoreOptions(
    string Account,
    string Database,
    string Container,
    string? Key = null,
    string? Endpoint = null,
    bool InsecureSkipTlsVerify = false,
    string? AppId = null,
    string ValueEncoding = CosmosStoreOptions.BytesEncoding,
    int TimeoutMs = CosmosStoreOptions.DefaultTimeoutMs)
{
    /// <summary><see cref="ValueEncoding"/> that writes Spin's layout: a JSON array of byte numbers.</summary>
    public const string BytesEncoding = "bytes";

    /// <summary><see cref="ValueEncoding"/> that writes a base64 string.</summary>
    public const string Base64Encoding = "base64";

    /// <summary>The default <see cref="TimeoutMs"/>.</summary>
    public const int DefaultTimeoutMs = 5000;

    /// <summary>The account name, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is not a Cosmos DB account name.</exception>
    public string Account { get; init; } = CheckName(Account, "account", "the account name from its URL https://<account>.documents.azure.com/");

    /// <summary>The database name, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is empty or has a character Cosmos DB does not allow in names.</exception>
    public string Database { get; init; } = CheckName(Database, "database", "the name of an existing database");

    /// <summary>The container name, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is empty or has a character Cosmos DB does not allow in names.</exception>
    public string Container { get; init; } = CheckName(Container, "container", "the name of an existing container partitioned by /store_id");

    /// <summary>The account key, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is missing or is not base64.</exception>
    public string? Key { get; init; } = CheckKey(Key);

    /// <summary>The endpoint, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is not an absolute http(s) URL.</exception>
    public string? Endpoint { get; init; } = CheckEndpoint(Endpoint);

    /// <summary>Whether any TLS certificate is accepted, checked against <see cref="Endpoint"/>.</summary>
    /// <exception cref="ArgumentException">It is set without an <see cref="Endpoint"/>.</exception>
    public bool InsecureSkipTlsVerify { get; init; } = InsecureSkipTlsVerify && Endpoint is null
        ? throw new ArgumentException("insecure_skip_tls_verify is only for a local server named by endpoint; set endpoint = \"https://127.0.0.1:8081/\" too, or remove insecure_skip_tls_verify")
        : InsecureSkipTlsVerify;

    /// <summary>The app id, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is empty.</exception>
    public string? AppId { get; init; } = AppId is { Length: 0 }
        ? throw new ArgumentException("app_id is empty; remove it (store_id is then the label) or set the app id Spin uses")
        : AppId;

    /// <summary>The value encoding, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is neither <c>bytes</c> nor <c>base64</c>.</exception>
    public string ValueEncoding { get; init; } = ValueEncoding is BytesEncoding or Base64Encoding
        ? ValueEncoding
        : throw new ArgumentException($"value_encoding \"{ValueEncoding}\" is not known; use \"{BytesEncoding}\" (Spin's layout, the default) or \"{Base64Encoding}\"");

    /// <summary>The per-call timeout, checked when the options are created.</summary>
    /// <exception cref="ArgumentException">It is not positive.</exception>
    public int TimeoutMs { get; init; } = TimeoutMs > 0
        ? TimeoutMs
        : throw new ArgumentException($"timeout_ms must be a positive number of milliseconds (got {TimeoutMs}); remove it to use {DefaultTimeoutMs}");

    /// <summary>The service URL: <see cref="Endpoint"/>, or the account's public endpoint.</summary>
    internal Uri ServiceUri => new(Endpoint ?? $"https://{Account}.documents.azure.com/");

    // Records print every property; the key is a secret, so it is left out.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Account = ").Append(Account).Append(", Database = ").Append(Database)
            .Append(", Container = ").Append(Container).Append(", Endpoint = ").Append(Endpoint)
            .Append(", InsecureSkipTlsVerify = ").Append(InsecureSkipTlsVerify).Append(", AppId = ").Append(AppId)
            .Append(", ValueEncoding = ").Append(ValueEncoding).Append(", TimeoutMs = ").Append(TimeoutMs);
        return true;
    }

    private static string CheckName(string value, string option, string what)
    {
        // Cosmos DB names may not hold '/', '\', '?', '#' and may not end with a space.
        if (string.IsNullOrWhiteSpace(value) || value.AsSpan().IndexOfAny("/\\?#") >= 0 || value.EndsWith(' ') || value.Length > 255)
        {
            throw new ArgumentException($"{option} \"{value}\" is not a valid Cosmos DB name; set it to {what} (no /, \\, ? or #)");
        }

        return value;
    }

    private static string? CheckKey(string? key)
    {
        if (key is null)
        {
            throw new ArgumentException(
                "key is missing; Spindle signs requests with the account key only (Spin's Azure AD credentials are not supported), so add key = \"<primary or secondary key>\"");
        }

        Span<byte> scratch = new byte[key.Length];
        if (key.Length == 0 || !Convert.TryFromBase64String(key, scratch, out _))
        {
            // The key itself is never repeated in the message.
            throw new ArgumentException("key is not a base64 account key; copy the primary or secondary key from the account's Keys page");
        }

        return key;
    }

    private static string? CheckEndpoint(string? endpoint)
    {
        if (endpoint is null)
        {
            return null;
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.PathAndQuery != "/" || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new ArgumentException($"endpoint \"{endpoint}\" is not an account URL; write it as https://host[:port]/ (for example https://127.0.0.1:8081/), or remove it to use https://<account>.documents.azure.com/");
        }

        return uri.ToString();
    }
}
