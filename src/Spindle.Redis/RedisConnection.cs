using Spindle.Core;
using StackExchange.Redis;

namespace Spindle.Redis;

/// <summary>
/// One multiplexer for one <c>url</c>, connected on first use. Every call is bounded by the thread's
/// <see cref="KeyValueDeadline"/> and by the configured timeout.
/// </summary>
/// <remarks>
/// Calls use the client's asynchronous API and block the calling guest thread until the reply or the deadline
/// (docs/threading.md: guest threads are dedicated, never pool threads), because the synchronous API only knows one
/// timeout per multiplexer, not the deadline of each request.
/// </remarks>
internal sealed class RedisConnection(RedisEndpoint endpoint, TimeSpan timeout) : IDisposable
{
    private readonly Lock _gate = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;

    public RedisEndpoint Endpoint => endpoint;

    public TimeSpan Timeout => timeout;

    /// <summary>Connects if this is the first use. With <c>AbortOnConnectFail=false</c> a server that is down does
    /// not fail here for good: the client keeps reconnecting, and calls fail with <see cref="KeyValueErrorKind.Io"/>
    /// until it is back.</summary>
    public IDatabase Database(string operation, string label)
    {
        Task<ConnectionMultiplexer> connecting;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                // The client's own connect timeout is the configured one, not what is left of this request: it also
                // bounds every reconnect after an outage. This caller's wait is bounded by its deadline below.
                _connecting = ConnectionMultiplexer.ConnectAsync(endpoint.ToConfiguration(timeout));
            }

            connecting = _connecting;
        }

        return Wait(connecting, operation, label).GetDatabase();
    }

    /// <summary>Waits for <paramref name="call"/> until the deadline.</summary>
    /// <exception cref="KeyValueException">The call failed or did not finish in time (kind <see cref="KeyValueErrorKind.Io"/>).</exception>
    public T Wait<T>(Task<T> call, string operation, string label)
    {
        var limit = KeyValueDeadline.Bound(timeout);
        try
        {
#pragma warning disable VSTHRD002 // Guest threads are dedicated threads that may block (docs/threading.md); the wait is bounded.
            if (!call.Wait(limit))
            {
                // Observe the late outcome so it is not reported as an unobserved task exception.
                _ = call.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw new KeyValueException(
                    KeyValueErrorKind.Io,
                    $"Redis {operation} failed for store '{label}': {endpoint.Description} did not answer within {(int)limit.TotalMilliseconds} ms");
            }

            return call.Result;
#pragma warning restore VSTHRD002
        }
        catch (AggregateException ex) when (ex.InnerException is { } inner)
        {
            throw Failure(operation, label, inner);
        }
    }

    /// <summary>Wraps a client error; the message names the server without its password.</summary>
    public KeyValueException Failure(string operation, string label, Exception ex) =>
        ex as KeyValueException ?? new KeyValueException(
            KeyValueErrorKind.Io,
            $"Redis {operation} failed for store '{label}' on {endpoint.Description}: {Scrub(ex.Message)}",
            ex);

    public void Dispose()
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_gate)
        {
            _disposed = true;
            connecting = _connecting;
            _connecting = null;
        }

        // A connect still under way is closed when it completes.
        _ = connecting?.ContinueWith(
            static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private string Scrub(string message) =>
        endpoint.Password is { Length: > 0 } password ? message.Replace(password, "***", StringComparison.Ordinal) : message;
}
