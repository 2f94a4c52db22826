using System.Net;
using System.Net.Sockets;
using Microsoft.Azure.Cosmos;
using Spindle.Core;

namespace Spindle.Cosmos;

/// <summary>
/// One SDK client and one container. Every call runs the SDK's asynchronous API and blocks the calling guest thread
/// until it ends or the request's deadline passes (docs/threading.md: guest threads are dedicated threads, never pool
/// threads); the SDK gets a cancellation token that fires at the same moment.
/// </summary>
internal sealed class CosmosContainer : IDisposable
{
    /// <summary>The partition key path the container must have: each label is one logical partition.</summary>
    public const string PartitionKeyPath = "/store_id";

    private readonly CosmosClient _client;
    private readonly TimeSpan _timeout;
    private volatile bool _checked;

    public CosmosContainer(CosmosStoreOptions options)
    {
        Options = options;
        _timeout = TimeSpan.FromMilliseconds(options.TimeoutMs);
        Description = Describe(options);
        var clientOptions = new CosmosClientOptions
        {
            // Gateway mode speaks HTTPS to the endpoint only; direct mode would open TCP connections to replicas that
            // a local server does not have. LimitToEndpoint: no regional endpoints are discovered and tried.
            ConnectionMode = ConnectionMode.Gateway,
            LimitToEndpoint = true,
            RequestTimeout = _timeout,
            ApplicationName = "spindle",
            EnableContentResponseOnWrite = false,
        };
        if (options.InsecureSkipTlsVerify)
        {
            // Only with an explicit endpoint (checked by the options): a local server's self-signed certificate.
            var accept = options.InsecureSkipTlsVerify;
            clientOptions.ServerCertificateCustomValidationCallback = (_, _, errors) => accept || errors == System.Net.Security.SslPolicyErrors.None;
        }

        if (options.Endpoint is not null)
        {
            // @vercel/cosmosdb-server (the tests' local server) answers a point read of a missing document in a
            // partitioned container with 500 instead of 404 unless this header is present (its read handler then skips
            // a partition check that dereferences the missing document). The header is one the SDK sends on every
            // cross-partition query; it is sent only to an explicit endpoint, never to the account's public one.
            ReadOptions = new ItemRequestOptions { AddRequestHeaders = static headers => headers.Add("x-ms-documentdb-query-enablecrosspartition", "true") };
        }

        _client = new CosmosClient(options.ServiceUri.ToString(), options.Key, clientOptions);
        Container = _client.GetContainer(options.Database, options.Container);
    }

    public CosmosStoreOptions Options { get; }

    public Container Container { get; }

    /// <summary>The options of point reads.</summary>
    public ItemRequestOptions? ReadOptions { get; }

    /// <summary>Names the container, database and account (and the endpoint when it is not the public one).</summary>
    public string Description { get; }

    public static string Describe(CosmosStoreOptions options) =>
        $"Azure Cosmos container \"{options.Container}\" in database \"{options.Database}\" of account \"{options.Account}\""
        + (options.Endpoint is null ? string.Empty : $" at {options.Endpoint}");

    /// <summary>
    /// Checks once that the container exists with the partition key path <see cref="PartitionKeyPath"/>; a failed
    /// check is tried again by the next open.
    /// </summary>
    public void EnsureChecked(string label)
    {
        if (_checked)
        {
            return;
        }

        var path = Run("open", label, async token =>
        {
            using var response = await Container.ReadContainerStreamAsync(cancellationToken: token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new KeyValueException(
                    KeyValueErrorKind.Io,
                    $"store '{label}': {Description} does not exist; create the database and the container, with partition key path {PartitionKeyPath}");
            }

            ThrowUnlessSuccess(response, "open", label);
            using var document = await System.Text.Json.JsonDocument.ParseAsync(response.Content, cancellationToken: token).ConfigureAwait(false);
            return document.RootElement.TryGetProperty("partitionKey", out var key) && key.TryGetProperty("paths", out var paths)
                   && paths.ValueKind == System.Text.Json.JsonValueKind.Array && paths.GetArrayLength() == 1
                ? paths[0].GetString()
                : null;
        });
        if (path != PartitionKeyPath)
        {
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"store '{label}': {Description} is partitioned by {path ?? "(none)"}, not {PartitionKeyPath}; use a container whose partition key path is {PartitionKeyPath}");
        }

        _checked = true;
    }

    /// <summary>Runs <paramref name="call"/> until it ends or the deadline passes, whichever is first.</summary>
    /// <exception cref="KeyValueException">The call failed or did not end in time (kind <see cref="KeyValueErrorKind.Io"/>).</exception>
    public T Run<T>(string operation, string label, Func<CancellationToken, Task<T>> call)
    {
        KeyValueDeadline.ThrowIfPassed(operation, label);
        var limit = KeyValueDeadline.Bound(_timeout);
        using var cancel = new CancellationTokenSource(limit);
        Task<T> task;
        try
        {
            task = call(cancel.Token);
        }
        catch (Exception ex) when (ex is not KeyValueException and not ArgumentException)
        {
            throw Failure(operation, label, ex, limit);
        }

        try
        {
#pragma warning disable VSTHRD002 // Guest threads are dedicated threads that may block (docs/threading.md); the wait is bounded.
            if (!task.Wait(limit))
            {
                // The token has fired; the SDK ends the call soon. Observe its outcome so it is not reported unobserved.
                _ = task.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw TimedOut(operation, label, limit);
            }

            return task.Result;
#pragma warning restore VSTHRD002
        }
        catch (AggregateException ex) when (ex.InnerException is { } inner)
        {
            if (inner is KeyValueException or ArgumentException)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
            }

            throw Failure(operation, label, inner, limit);
        }
    }

    /// <summary>Throws <see cref="KeyValueErrorKind.Io"/> unless the response is a success.</summary>
    public void ThrowUnlessSuccess(ResponseMessage response, string operation, string label)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw StatusFailure(operation, label, response.StatusCode, int.TryParse(response.Headers["x-ms-substatus"], out var sub) ? sub : 0);
        }
    }

    /// <summary>
    /// An error for a status the store did not expect. Only the status is reported: the SDK's own message and
    /// diagnostics quote the request URI, which holds the document id, that is the key.
    /// </summary>
    public KeyValueException StatusFailure(string operation, string label, HttpStatusCode status, int subStatus)
    {
        var hint = status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => "; check key",
            HttpStatusCode.NotFound => $"; check that the database and container exist",
            HttpStatusCode.RequestEntityTooLarge => "; the document is over Cosmos DB's size limit (try value_encoding = \"base64\" or a smaller value)",
            HttpStatusCode.TooManyRequests => "; the container's throughput is exhausted, try again later",
            _ => string.Empty,
        };
        var sub = subStatus == 0 ? string.Empty : $"/{subStatus}";
        return new KeyValueException(
            KeyValueErrorKind.Io,
            $"Azure Cosmos {operation} failed for store '{label}' on {Description}: status {(int)status}{sub} ({status}){hint}");
    }

    public void Dispose() => _client.Dispose();

    private KeyValueException TimedOut(string operation, string label, TimeSpan limit) =>
        new(
            KeyValueErrorKind.Io,
            $"Azure Cosmos {operation} failed for store '{label}': {Description} did not answer within {(int)limit.TotalMilliseconds} ms"
            + (KeyValueDeadline.IsSet ? " (the request's deadline, see --request-timeout)" : " (timeout_ms)"));

    private KeyValueException Failure(string operation, string label, Exception ex, TimeSpan limit)
    {
        if (ex is OperationCanceledException)
        {
            return TimedOut(operation, label, limit);
        }

        if (ex is CosmosException cosmos)
        {
            return cosmos.StatusCode == HttpStatusCode.RequestTimeout
                ? TimedOut(operation, label, limit)
                : StatusFailure(operation, label, cosmos.StatusCode, cosmos.SubStatusCode);
        }

        // Transport failures: say what kind (refused, reset, TLS) without quoting messages that may carry the URI.
        var reason = Innermost<SocketException>(ex) is { } socket
            ? $"connection failed ({socket.SocketErrorCode})"
            : Innermost<System.Security.Authentication.AuthenticationException>(ex) is not null
                ? "the TLS handshake failed (for a local server with a self-signed certificate, set insecure_skip_tls_verify = true)"
                : Innermost<HttpRequestException>(ex) is { } http
                    ? $"the HTTP request failed ({http.HttpRequestError})"
                    : ex.GetType().Name;
        // Only the socket error is kept as the cause: the SDK's exceptions quote the request URI, which holds the key.
        return new KeyValueException(KeyValueErrorKind.Io, $"Azure Cosmos {operation} failed for store '{label}' on {Description}: {reason}", Innermost<SocketException>(ex));
    }

    private static T? Innermost<T>(Exception ex)
        where T : Exception
    {
        T? found = null;
        for (Exception? current = ex; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                found = match;
            }
        }

        return found;
    }
}
