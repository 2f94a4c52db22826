using System.Collections.Concurrent;
using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Spindle.Core;

namespace Spindle.DynamoDb;

/// <summary>
/// One table and one client. Every store call runs as one operation whose time is bounded by the request's deadline
/// (<see cref="KeyValueDeadline"/>) or <see cref="DefaultTimeout"/>, whichever ends first; every SDK call and every
/// retry inside it shares that bound.
/// </summary>
/// <remarks>
/// The AWS SDK for .NET has no synchronous API. Its calls are started on the guest's own thread and waited for there
/// (never a hop to the thread pool first), with a cancellation token that fires at the bound; the wait ends at the
/// bound even if the SDK did not notice the token (docs/threading.md).
/// </remarks>
internal sealed class DynamoTable : IKeyValueStoreManager, IDisposable
{
    /// <summary>The longest one store call may take when the request's deadline is later or absent.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, DynamoStore> _stores = new(StringComparer.Ordinal);
    private readonly string[] _secrets;
    private readonly TimeSpan _timeout;
    private volatile bool _tableReady;

    public DynamoTable(DynamoStoreOptions options, TimeSpan? timeout = null, HttpClientFactory? httpClientFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        TableName = options.Table;
        _timeout = timeout ?? DefaultTimeout;
        _secrets = new[] { options.AccessKey, options.SecretKey, options.Token }.OfType<string>().Where(s => s.Length > 0).ToArray();
        Description = Describe(options);

        var config = new AmazonDynamoDBConfig
        {
            // The operation's token bounds every attempt; the SDK's own retries (throttling, 5xx) happen inside it.
            MaxErrorRetry = 3,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (options.Endpoint is not null)
        {
            config.ServiceURL = options.Endpoint;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        if (httpClientFactory is not null)
        {
            config.HttpClientFactory = httpClientFactory;
        }

        try
        {
            Client = options.AccessKey is null
                ? new AmazonDynamoDBClient(config)
                : new AmazonDynamoDBClient(
                    options.Token is null
                        ? new BasicAWSCredentials(options.AccessKey, options.SecretKey)
                        : new SessionAWSCredentials(options.AccessKey, options.SecretKey, options.Token),
                    config);
        }
        catch (AmazonClientException ex)
        {
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"cannot create the DynamoDB client for {Description}: {Scrub(ex.Message)}; set access_key and secret_key, or the environment's AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
                ex);
        }
    }

    public DynamoStoreOptions Options { get; }

    public string TableName { get; }

    /// <summary>Names the table and the endpoint or region; never credentials.</summary>
    public string Description { get; }

    public AmazonDynamoDBClient Client { get; }

    public static string Describe(DynamoStoreOptions options) =>
        options.Endpoint is null
            ? $"DynamoDB table \"{options.Table}\" in {options.Region}"
            : $"DynamoDB table \"{options.Table}\" at {options.Endpoint}";

    public IKeyValueStore Open(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return _stores.GetOrAdd(label, static (label, table) => new DynamoStore(table, label), this);
    }

    /// <summary>
    /// Runs one store operation: creates the table on first use, then <paramref name="action"/> with a token that fires
    /// at the operation's bound. SDK and network failures become <see cref="KeyValueErrorKind.Io"/>.
    /// </summary>
    public T Run<T>(string operation, string label, Func<CancellationToken, T> action)
    {
        KeyValueDeadline.ThrowIfPassed(operation, label);
        var bound = KeyValueDeadline.Bound(_timeout);
        using var expiry = new CancellationTokenSource(bound);
        var token = expiry.Token;
        try
        {
            if (!_tableReady)
            {
                EnsureTable(token);
                _tableReady = true;
            }

            return action(token);
        }
        catch (OperationCanceledException ex) when (token.IsCancellationRequested)
        {
            var reason = KeyValueDeadline.IsSet
                ? "the endpoint did not answer before the request's deadline (see --request-timeout); check that it is running and reachable"
                : $"the endpoint did not answer within {(int)_timeout.TotalSeconds} s; check that it is running and reachable";
            throw new KeyValueException(KeyValueErrorKind.Io, $"DynamoDB {operation} failed for store '{label}' on {Description}: {reason}", ex);
        }
        catch (ResourceNotFoundException ex)
        {
            // The table was deleted after this process saw it: the next call looks for it (and creates it) again.
            _tableReady = false;
            throw Failure(operation, label, ex);
        }
        catch (Exception ex) when (ex is AmazonClientException or HttpRequestException or IOException or SocketException or TimeoutException)
        {
            throw Failure(operation, label, ex);
        }
    }

    /// <summary>Waits on the calling (guest) thread for an SDK call, at most until <paramref name="token"/> fires.</summary>
    public static T Await<T>(Task<T> call, CancellationToken token)
    {
        if (!call.IsCompleted)
        {
            try
            {
#pragma warning disable VSTHRD002 // Guest threads are dedicated threads that may block (docs/threading.md); the wait ends at the token.
                call.Wait(token);
#pragma warning restore VSTHRD002
            }
            catch (OperationCanceledException)
            {
                // Observe the late outcome so it is not reported as an unobserved task exception.
                _ = call.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw;
            }
            catch (AggregateException)
            {
                // rethrown unwrapped just below
            }
        }

#pragma warning disable VSTHRD002 // Completed by now.
        return call.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>Waits before a retry: <paramref name="attempt"/> 0 not at all, then 10 ms doubling up to 320 ms, with jitter.</summary>
    public static void Backoff(int attempt, CancellationToken token)
    {
        if (attempt <= 0)
        {
            return;
        }

        var ceiling = 10 << Math.Min(attempt - 1, 5);
        if (token.WaitHandle.WaitOne(Random.Shared.Next(ceiling / 2, ceiling + 1)))
        {
            token.ThrowIfCancellationRequested();
        }
    }

    public void Dispose() => Client.Dispose();

    private void EnsureTable(CancellationToken token)
    {
        TableDescription? table = null;
        try
        {
            table = Await(Client.DescribeTableAsync(new DescribeTableRequest { TableName = TableName }, token), token).Table;
        }
        catch (ResourceNotFoundException)
        {
            try
            {
                var create = new CreateTableRequest
                {
                    TableName = TableName,
                    BillingMode = BillingMode.PAY_PER_REQUEST,
                    AttributeDefinitions =
                    [
                        new AttributeDefinition(DynamoItems.PartitionKey, ScalarAttributeType.S),
                        new AttributeDefinition(DynamoItems.SortKey, ScalarAttributeType.B),
                    ],
                    KeySchema =
                    [
                        new KeySchemaElement(DynamoItems.PartitionKey, KeyType.HASH),
                        new KeySchemaElement(DynamoItems.SortKey, KeyType.RANGE),
                    ],
                };
                table = Await(Client.CreateTableAsync(create, token), token).TableDescription;
            }
            catch (ResourceInUseException)
            {
                // Another process created it meanwhile; wait for it like for our own.
            }
        }

        for (var attempt = 0; table is null || table.TableStatus != TableStatus.ACTIVE; attempt++)
        {
            if (table is not null && table.TableStatus != TableStatus.CREATING && table.TableStatus != TableStatus.UPDATING)
            {
                throw new KeyValueException(KeyValueErrorKind.Io, $"{Description} is {table.TableStatus}, not ACTIVE; wait for it or name another table");
            }

            if (table is not null)
            {
                Backoff(Math.Max(attempt, 3), token);
            }

            table = Await(Client.DescribeTableAsync(new DescribeTableRequest { TableName = TableName }, token), token).Table;
        }

        CheckKeySchema(table);
    }

    private void CheckKeySchema(TableDescription table)
    {
        string? TypeOf(string name) => table.AttributeDefinitions?.FirstOrDefault(a => a.AttributeName == name)?.AttributeType?.Value;
        var schema = table.KeySchema ?? [];
        var hash = schema.FirstOrDefault(k => k.KeyType == KeyType.HASH);
        var range = schema.FirstOrDefault(k => k.KeyType == KeyType.RANGE);
        if (hash?.AttributeName == DynamoItems.PartitionKey && TypeOf(DynamoItems.PartitionKey) == "S"
            && range?.AttributeName == DynamoItems.SortKey && TypeOf(DynamoItems.SortKey) == "B")
        {
            return;
        }

        var actual = string.Join(", ", schema.Select(k => $"{k.AttributeName} ({TypeOf(k.AttributeName)}, {k.KeyType})"));
        throw new KeyValueException(
            KeyValueErrorKind.Io,
            $"{Description} has key schema {actual}; Spindle needs partition key {DynamoItems.PartitionKey} (string) and sort key {DynamoItems.SortKey} (binary): set table to a table Spindle may create, or one it created");
    }

    private KeyValueException Failure(string operation, string label, Exception ex)
    {
        var reason = ex switch
        {
            ProvisionedThroughputExceededException or RequestLimitExceededException or ThrottlingException =>
                "the table's throughput was exceeded and the SDK's retries ran out; try again later or raise the table's capacity",
            AmazonServiceException service when service.ErrorCode is { Length: > 0 } code => $"{code}: {Scrub(service.Message)}",
            _ => Scrub(ex.Message),
        };
        return new KeyValueException(KeyValueErrorKind.Io, $"DynamoDB {operation} failed for store '{label}' on {Description}: {reason}", ex);
    }

    private string Scrub(string message)
    {
        foreach (var secret in _secrets)
        {
            message = message.Replace(secret, "***", StringComparison.Ordinal);
        }

        return message;
    }
}
