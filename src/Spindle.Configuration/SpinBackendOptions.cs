namespace Spindle.Configuration;

// The options of Spin's store types for a host that embeds Configuration without the backend project of the type
// (the spindle CLI registers all of them: Spindle.Redis, Spindle.Cosmos, Spindle.DynamoDb). They are parsed and
// checked like Spin's, so a runtime config written for Spin loads unchanged; a store of such a type answers every
// open with an io error that says so. A backend project replaces its placeholder by registering a provider of the
// same type, with its own options record (which may add Spindle's options, such as endpoint).

/// <summary>Spin's <c>redis</c> options.</summary>
internal sealed record RedisOptions(string Url);

/// <summary>Spin's <c>azure_cosmos</c> options; without <c>key</c> the credentials come from the environment.</summary>
internal sealed record AzureCosmosOptions(string Account, string Database, string Container, string? Key = null);

/// <summary>Spin's <c>aws_dynamo</c> options; <c>access_key</c> and <c>secret_key</c> go together.</summary>
internal sealed record AwsDynamoOptions
{
    public AwsDynamoOptions(
        string region,
        string table,
        string? accessKey = null,
        string? secretKey = null,
        string? token = null,
        bool consistentRead = false)
    {
        if ((accessKey is null) != (secretKey is null))
        {
            throw new ArgumentException("set both access_key and secret_key, or neither to use the environment's AWS credentials");
        }

        Region = region;
        Table = table;
        AccessKey = accessKey;
        SecretKey = secretKey;
        Token = token;
        ConsistentRead = consistentRead;
    }

    public string Region { get; }

    public string Table { get; }

    public string? AccessKey { get; }

    public string? SecretKey { get; }

    public string? Token { get; }

    public bool ConsistentRead { get; }
}
