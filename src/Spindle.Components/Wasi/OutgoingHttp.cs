using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace Spindle.Components.Wasi;

/// <summary>
/// Lets an instance's guest send requests through <c>wasi:http/outgoing-handler</c>: the client that sends them
/// (one per process, see <see cref="CreateClient"/>) and the check that decides, per request and before any
/// connection is made, whether its origin is allowed. Put it in the instance's <see cref="WasiContext"/>; without
/// one every request is denied.
/// </summary>
public sealed class OutgoingHttp
{
    internal static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutKey = new("spindle.connect-timeout");

    private readonly Func<Uri, bool> _allows;
    private readonly Func<Uri?>? _selfOrigin;
    private readonly Action<string>? _denied;
    private readonly Func<Uri, OutgoingRedirect?>? _redirect;

    /// <summary>Creates the permission.</summary>
    /// <param name="client">Sends the allowed requests; shared, not disposed here.</param>
    /// <param name="allows">Whether a request to this absolute URI may be sent; called on the guest's thread.</param>
    /// <param name="selfOrigin">
    /// Where requests to the application itself go (a request without an authority, or to <c>self.alt</c>, which
    /// <c>http://self</c> in <c>allowed_outbound_hosts</c> allows), such as <c>http://127.0.0.1:3000</c>; the function
    /// returns <see langword="null"/> while the application has no address yet. Without it such requests are denied.
    /// </param>
    /// <param name="denied">Told the origin of each denied request (<c>http://self</c> for the application itself), to log it.</param>
    /// <param name="redirect">
    /// Given each allowed target, may send the request elsewhere instead, with one header added (Spindle's host uses it
    /// for Spin's service chaining: <c>http://&lt;component&gt;.spin.internal</c> goes to that component of the same
    /// application); <see langword="null"/> sends it as it is.
    /// </param>
    public OutgoingHttp(HttpMessageInvoker client, Func<Uri, bool> allows, Func<Uri?>? selfOrigin = null, Action<string>? denied = null, Func<Uri, OutgoingRedirect?>? redirect = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(allows);
        Client = client;
        _allows = allows;
        _selfOrigin = selfOrigin;
        _denied = denied;
        _redirect = redirect;
    }

    internal OutgoingRedirect? Redirect(Uri target) => _redirect?.Invoke(target);

    internal HttpMessageInvoker Client { get; }

    /// <summary>Whether requests to the application itself are allowed.</summary>
    internal bool AllowsSelf => _selfOrigin is not null;

    /// <summary>The application's own origin, when self requests are allowed and it has one.</summary>
    internal Uri? SelfOrigin => _selfOrigin?.Invoke();

    internal void Denied(string origin) => _denied?.Invoke(origin);

    /// <summary>
    /// A client suited to guests' requests: no redirects followed (the guest sees each answer, and a redirect cannot
    /// lead past the origin check), no cookies, no decompression, no proxy from the environment, header bytes kept
    /// as Latin-1, and the per-request <c>connect-timeout</c> of <c>request-options</c> honoured.
    /// </summary>
    public static HttpMessageInvoker CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            RequestHeaderEncodingSelector = (_, _) => Encoding.Latin1,
            ResponseHeaderEncodingSelector = (_, _) => Encoding.Latin1,
            ConnectCallback = ConnectAsync,
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    internal bool Allows(Uri target) => _allows(target);

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        using var limit = context.InitialRequestMessage.Options.TryGetValue(ConnectTimeoutKey, out var timeout)
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : null;
        limit?.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, limit?.Token ?? cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (limit is not null && limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new ConnectTimeoutException(timeout);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A connection was not made within the request's <c>connect-timeout</c>.</summary>
internal sealed class ConnectTimeoutException(TimeSpan timeout) : IOException($"no connection within the connect-timeout of {timeout.TotalMilliseconds} ms");

/// <summary>A pollable that is ready when a task has ended.</summary>
internal sealed class TaskPollable(Task task) : Pollable
{
    public override bool IsReady => task.IsCompleted;

#pragma warning disable VSTHRD003 // the task is only waited on (Task.WaitAny), on a guest thread
    internal override Task? WhenReady => task;
#pragma warning restore VSTHRD003
}

/// <summary>
/// The body of an outgoing request. Until the request is handed to <c>outgoing-handler.handle</c> the guest's
/// writes are kept (up to <see cref="MaxBufferedBeforeSend"/>); from then on they stream to the connection through a
/// pipe, and a write waits (up to the deadline) while the server is behind.
/// </summary>
internal sealed class RequestBody : OutgoingBody
{
    public const int MaxBufferedBeforeSend = 16 << 20;

    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));
    private readonly ArrayBufferWriter<byte> _beforeSend = new();
    private bool _sending;
    private bool _ended;

    public override OutputStream OpenStream(long? deadline) => new Output(this, deadline);

    public override void Finish()
    {
        if (!_ended)
        {
            _ended = true;
            _pipe.Writer.Complete();
        }
    }

    public override void Abort(string reason)
    {
        if (!_ended)
        {
            _ended = true;
            _pipe.Writer.Complete(new IOException(reason));
        }
    }

    /// <summary>The content to send: what was written before <c>handle</c>, then the rest as the guest writes it.</summary>
    public HttpContent StartSending()
    {
        _sending = true;
        return new Content(_beforeSend.WrittenSpan.ToArray(), _pipe.Reader);
    }

    // Before handle, writes are kept in memory; from then on they go into the pipe the connection reads.
    private sealed class Output(RequestBody body, long? deadline)
        : PipeOutputStream(deadline, "the server did not take the outgoing request body before the request deadline")
    {
        protected override PipeWriter? Writer => body._ended ? null : body._pipe.Writer;

        public override bool Write(ReadOnlySpan<byte> bytes)
        {
            if (body._sending || body._ended)
            {
                return base.Write(bytes);
            }

            if (body._beforeSend.WrittenCount + bytes.Length > MaxBufferedBeforeSend)
            {
                throw new WasiStreamException($"an outgoing request body may hold at most {MaxBufferedBeforeSend} bytes before outgoing-handler.handle is called; call handle first and then write the body");
            }

            body._beforeSend.Write(bytes);
            return true;
        }
    }

    private sealed class Content(byte[] prefix, PipeReader rest) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
            await rest.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>
/// One outgoing request in flight, as the guest holds it (<c>future-incoming-response</c>). Dropping it before the
/// response was taken cancels the request; the instance's end drops it too.
/// </summary>
internal sealed class OutgoingExchange : IDisposable
{
    private readonly CancellationTokenSource _lifetime;
    private readonly Task<HttpResponseMessage> _send;
    private readonly TimeSpan? _betweenBytes;
    private bool _taken;
    private bool _disposed;

    public OutgoingExchange(OutgoingHttp outgoing, HttpRequestMessage request, TimeSpan? firstByte, TimeSpan? betweenBytes, long? deadline)
    {
        _betweenBytes = betweenBytes;
        _lifetime = WasiDeadline.Token(deadline) ?? new CancellationTokenSource();
        _send = SendAsync(outgoing.Client, request, firstByte, _lifetime.Token);
        Ready = new TaskPollable(_send);
    }

    public Pollable Ready { get; }

    /// <summary><c>future-incoming-response.get</c>: none while pending, then the response or its error code, then err.</summary>
    public object? Get(WasiHttp http)
    {
        if (!_send.IsCompleted)
        {
            return Variant.None;
        }

        if (_taken)
        {
            return Variant.Some(Variant.Err(null));
        }

        _taken = true;
        if (_send.IsCompletedSuccessfully)
        {
#pragma warning disable VSTHRD002 // completed
            return Variant.Some(Variant.Ok(Variant.Ok(new IncomingHttpResponse(_send.Result, _lifetime, _betweenBytes))));
#pragma warning restore VSTHRD002
        }

        var failure = _send.Exception?.InnerException ?? new OperationCanceledException("the outgoing request was cancelled");
        _lifetime.Dispose();
        return Variant.Some(Variant.Ok(Variant.Err(http.ErrorFor(failure))));
    }

    public void Dispose()
    {
        if (_disposed || _taken)
        {
            return;
        }

        _disposed = true;
        _lifetime.Cancel();
#pragma warning disable VSTHRD002 // the task has completed
        _ = _send.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
#pragma warning restore VSTHRD002
        _lifetime.Dispose();
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpMessageInvoker client, HttpRequestMessage request, TimeSpan? firstByte, CancellationToken lifetime)
    {
        using var untilHeaders = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        if (firstByte is { } wait)
        {
            untilHeaders.CancelAfter(wait);
        }

        try
        {
            return await client.SendAsync(request, untilHeaders.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!lifetime.IsCancellationRequested && firstByte is { } limit)
        {
            throw new FirstByteTimeoutException(limit);
        }
        finally
        {
            // The request content (a pipe the guest may still hold) is not needed past the headers of the answer.
            request.Dispose();
        }
    }
}

/// <summary>No response headers arrived within the request's <c>first-byte-timeout</c>.</summary>
internal sealed class FirstByteTimeoutException(TimeSpan timeout) : IOException($"no response within the first-byte-timeout of {timeout.TotalMilliseconds} ms");

/// <summary>A response to a guest's outgoing request (<c>incoming-response</c>).</summary>
internal sealed class IncomingHttpResponse : IDisposable
{
    private readonly HttpResponseMessage _message;
    private readonly CancellationTokenSource _lifetime;
    private readonly TimeSpan? _betweenBytes;
    private bool _consumed;

    public IncomingHttpResponse(HttpResponseMessage message, CancellationTokenSource lifetime, TimeSpan? betweenBytes)
    {
        _message = message;
        _lifetime = lifetime;
        _betweenBytes = betweenBytes;
        var entries = new List<KeyValuePair<string, byte[]>>();
        AddHeaders(entries, message.Headers.NonValidated);
        AddHeaders(entries, message.Content.Headers.NonValidated);
        Headers = new HttpFields(entries, immutable: true);
    }

    public ushort Status => (ushort)_message.StatusCode;

    public HttpFields Headers { get; }

    /// <summary><c>consume</c>: the body, once; its stream is read as the server sends it.</summary>
    public IncomingBody? Consume()
    {
        if (_consumed)
        {
            return null;
        }

        _consumed = true;
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));
        _ = PumpAsync(_message, pipe.Writer, _betweenBytes, _lifetime.Token);
        var stream = new ResponseBodyStream(new PipeInputStream(pipe.Reader, long.MaxValue, "the response body"), _lifetime);
        return new IncomingBody(stream);
    }

    public void Dispose()
    {
        if (!_consumed)
        {
            _consumed = true;
            _message.Dispose();
            _lifetime.Dispose();
        }
    }

    private static void AddHeaders(List<KeyValuePair<string, byte[]>> entries, HttpHeadersNonValidated headers)
    {
        foreach (var (name, values) in headers)
        {
            // Framing is the host's business: the guest reads a decoded body.
            if (HttpFields.IsForbidden(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                entries.Add(new(name, Encoding.Latin1.GetBytes(value)));
            }
        }
    }

    // Copies the body into the pipe the guest reads; a failure ends the pipe with a reason the guest's read reports.
    private static async Task PumpAsync(HttpResponseMessage message, PipeWriter writer, TimeSpan? betweenBytes, CancellationToken lifetime)
    {
        try
        {
            var stream = await message.Content.ReadAsStreamAsync(lifetime).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    var memory = writer.GetMemory(16 * 1024);
                    int read;
                    using (var gap = CancellationTokenSource.CreateLinkedTokenSource(lifetime))
                    {
                        if (betweenBytes is { } limit)
                        {
                            gap.CancelAfter(limit);
                        }

                        try
                        {
                            read = await stream.ReadAsync(memory, gap.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!lifetime.IsCancellationRequested && betweenBytes is { } limit2)
                        {
                            throw new IncomingBodyException($"the server sent nothing within the between-bytes-timeout of {limit2.TotalMilliseconds} ms", "connection-read-timeout", null);
                        }
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    writer.Advance(read);
                    if ((await writer.FlushAsync(lifetime).ConfigureAwait(false)).IsCompleted)
                    {
                        break;
                    }
                }
            }

            await writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var (errorCase, payload) = OutgoingErrors.Classify(ex);
            var reason = ex is OperationCanceledException ? "the outgoing request ended (its instance ended or its deadline passed)" : ex.Message;
            await writer.CompleteAsync(new IncomingBodyException($"reading the response body failed: {reason}", errorCase, payload)).ConfigureAwait(false);
        }
        finally
        {
            message.Dispose();
        }
    }
}

/// <summary>A response body's stream; dropping it ends the exchange (connection and all).</summary>
internal sealed class ResponseBodyStream(PipeInputStream inner, CancellationTokenSource lifetime) : InputStream, IDisposable
{
    private bool _disposed;

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override int BlockingRead(Span<byte> buffer, long? deadline) => inner.BlockingRead(buffer, deadline);

    public override Pollable Subscribe() => inner.Subscribe();

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            lifetime.Cancel();
            lifetime.Dispose();
        }
    }
}

/// <summary>A response body that failed as it arrived, with the <c>error-code</c> case (and payload) that says how, for <c>http-error-code</c>.</summary>
internal sealed class IncomingBodyException(string message, string errorCase, object? payload) : IOException(message)
{
    public string ErrorCase { get; } = errorCase;

    public object? Payload { get; } = payload;
}

/// <summary>How a failed send, or a response body that failed as it arrived, maps to <c>error-code</c>.</summary>
internal static class OutgoingErrors
{
    /// <summary>The case name and payload for <paramref name="failure"/>.</summary>
    public static (string Case, object? Payload) Classify(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case IncomingBodyException body:
                    return (body.ErrorCase, body.Payload); // classified where it was thrown
                case ConnectTimeoutException:
                    return ("connection-timeout", null);
                case FirstByteTimeoutException:
                    return ("connection-read-timeout", null);
                case AuthenticationException:
                    return ("TLS-protocol-error", null);
                case SocketException socket:
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => ("connection-refused", null),
                        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => ("DNS-error", new object?[] { Variant.Some(socket.Message), Variant.None }),
                        SocketError.TimedOut => ("connection-timeout", null),
                        SocketError.NetworkUnreachable or SocketError.HostUnreachable => ("destination-unavailable", null),
                        SocketError.ConnectionReset or SocketError.ConnectionAborted => ("connection-terminated", null),
                        _ => ("internal-error", Variant.Some(socket.Message)),
                    };
                case HttpRequestException http when FromRequestError(http.HttpRequestError, http.Message, e.InnerException is null) is { } classified:
                    return classified;
                case HttpIOException io when FromRequestError(io.HttpRequestError, io.Message, e.InnerException is null) is { } classified:
                    return classified; // a body that broke off as it was read
                case OperationCanceledException:
                    return ("HTTP-response-timeout", null);
            }
        }

        return ("internal-error", Variant.Some(failure.Message));
    }

    private static (string Case, object? Payload)? FromRequestError(HttpRequestError error, string message, bool innermost) => error switch
    {
        HttpRequestError.NameResolutionError => ("DNS-error", new object?[] { Variant.Some(message), Variant.None }),
        HttpRequestError.SecureConnectionError => ("TLS-protocol-error", null),
        HttpRequestError.ResponseEnded => ("HTTP-response-incomplete", null),
        HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError => ("HTTP-protocol-error", null),
        HttpRequestError.ConfigurationLimitExceeded => ("HTTP-response-header-section-size", Variant.None),
        HttpRequestError.ConnectionError when innermost => ("destination-unavailable", null),
        _ => null,
    };
}

/// <summary>
/// Where an allowed outbound request goes instead of its own target, and a header the host adds to it (the guest's
/// own header of that name is dropped, so a guest cannot set it).
/// </summary>
/// <param name="target">
/// The absolute URI the request is sent to; <see langword="null"/> when where it should go has no address yet (the
/// request then fails with <c>HTTP-request-URI-invalid</c>).
/// </param>
/// <param name="headerName">The header added.</param>
/// <param name="headerValue">Its value.</param>
public sealed class OutgoingRedirect(Uri? target, string headerName, string headerValue)
{
    /// <summary>The absolute URI the request is sent to, or <see langword="null"/> when there is none yet.</summary>
    public Uri? Target { get; } = target;

    /// <summary>The header added to the request.</summary>
    public string HeaderName { get; } = headerName;

    /// <summary>The added header's value.</summary>
    public string HeaderValue { get; } = headerValue;
}
