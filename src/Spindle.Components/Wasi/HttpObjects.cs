using System.Buffers;
using System.IO.Pipelines;

namespace Spindle.Components.Wasi;

/// <summary>
/// A <c>wasi:http</c> <c>fields</c> value: header names (compared case-insensitively, kept as given) with byte
/// values, in order, duplicates allowed. Fields the host hands out (request headers, a response's headers once it
/// exists) are immutable: changing them is <c>header-error.immutable</c>.
/// </summary>
public sealed class HttpFields
{
    // Hop-by-hop and framing headers the host owns; a guest may not set them (header-error.forbidden).
    private static readonly HashSet<string> Forbidden = new(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "http2-settings",
    };

    private readonly List<KeyValuePair<string, byte[]>> _entries;

    /// <summary>Creates fields with these entries, in order.</summary>
    public HttpFields(IEnumerable<KeyValuePair<string, byte[]>>? entries = null, bool immutable = false)
    {
        _entries = entries is null ? [] : [.. entries];
        Immutable = immutable;
    }

    /// <summary>Whether the guest may not change them.</summary>
    public bool Immutable { get; }

    /// <summary>The entries, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> Entries => _entries;

    /// <summary>Whether <paramref name="name"/> is a valid field name (an RFC 9110 token).</summary>
    public static bool IsValidName(string name) => name.Length > 0 && name.All(IsTokenChar);

    /// <summary>Whether <paramref name="value"/> is a valid field value (no CR, LF or NUL; no surrounding whitespace).</summary>
    public static bool IsValidValue(ReadOnlySpan<byte> value) =>
        value.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) < 0
        && (value.Length == 0 || (value[0] is not ((byte)' ' or (byte)'\t') && value[^1] is not ((byte)' ' or (byte)'\t')));

    internal static bool IsForbidden(string name) => Forbidden.Contains(name);

    internal HttpFields Clone(bool immutable) => new(_entries, immutable);

    internal List<byte[]> Get(string name) => [.. _entries.Where(e => string.Equals(e.Key, name, StringComparison.OrdinalIgnoreCase)).Select(e => e.Value)];

    internal void Set(string name, IEnumerable<byte[]> values)
    {
        Delete(name);
        _entries.AddRange(values.Select(v => new KeyValuePair<string, byte[]>(name, v)));
    }

    internal void Delete(string name) => _entries.RemoveAll(e => string.Equals(e.Key, name, StringComparison.OrdinalIgnoreCase));

    internal void Append(string name, byte[] value) => _entries.Add(new(name, value));

    private static bool IsTokenChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
        or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}

/// <summary>An incoming request as the embedder hands it to a guest's <c>wasi:http/incoming-handler</c>.</summary>
/// <param name="Method">The method, as received.</param>
/// <param name="PathWithQuery">The request target (path and query).</param>
/// <param name="Scheme"><c>http</c> or <c>https</c>.</param>
/// <param name="Authority">The authority (Host header), if any.</param>
/// <param name="Headers">The headers the guest sees (immutable for it).</param>
/// <param name="Body">The body, read as the guest asks for it.</param>
public sealed record IncomingHttpRequest(string Method, string PathWithQuery, string Scheme, string? Authority, HttpFields Headers, InputStream Body)
{
    internal bool Consumed { get; set; }
}

/// <summary>
/// Where a guest's response goes: <see cref="Set"/> runs once, on the guest's thread, when the guest calls
/// <c>response-outparam.set</c>, with the response (whose body the guest may still be writing) or an error.
/// </summary>
public sealed class ResponseOutparam(Action<OutgoingHttpResponse?, string?> set)
{
    /// <summary>Whether the guest has set the response (or an error).</summary>
    public bool IsSet { get; private set; }

    internal void Set(OutgoingHttpResponse? response, string? error)
    {
        if (IsSet)
        {
            throw new ComponentTrapException("response-outparam.set was called twice");
        }

        IsSet = true;
        set(response, error);
    }
}

/// <summary>
/// A response a guest built: status, headers and a body it writes through an <c>output-stream</c>. The body is a
/// pipe: the guest's writes wait while the reader (the client connection) is behind, and the reader sees the body
/// end when the guest calls <c>outgoing-body.finish</c>, or fail when the guest drops the body or its instance ends
/// first (the client must then see an aborted response, never a complete-looking one).
/// </summary>
public sealed class OutgoingHttpResponse
{
    private readonly Pipe _body = new(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));

    internal OutgoingHttpResponse(HttpFields headers) => Headers = headers.Clone(immutable: true);

    /// <summary>The status code (200 unless the guest set another).</summary>
    public int Status { get; internal set; } = 200;

    /// <summary>The headers.</summary>
    public HttpFields Headers { get; }

    /// <summary>The body as the guest writes it.</summary>
    public PipeReader Body => _body.Reader;

    internal bool BodyTaken { get; set; }

    internal PipeWriter Writer => _body.Writer;

    internal bool Finished { get; private set; }

    /// <summary>
    /// Tells the response its guest instance has ended (<paramref name="failure"/> says why, when it failed): a body
    /// the guest never asked for ends empty; one it did not finish, or any body after a failure, ends as failed.
    /// </summary>
    public void InstanceEnded(string? failure)
    {
        if (failure is null && !BodyTaken)
        {
            Finish();
        }

        Abort(failure ?? "the guest returned without finishing the response body");
    }

    /// <summary>Ends the body normally.</summary>
    internal void Finish()
    {
        if (!Finished)
        {
            Finished = true;
            _body.Writer.Complete();
        }
    }

    /// <summary>Ends the body as failed; the reader's next read throws.</summary>
    internal void Abort(string reason)
    {
        if (!Finished)
        {
            Finished = true;
            _body.Writer.Complete(new IOException(reason));
        }
    }
}

/// <summary>An <c>outgoing-body</c> as the guest holds it: of a response it answers with, or of a request it sends.</summary>
internal abstract class OutgoingBody
{
    public bool StreamTaken { get; set; }

    /// <summary>The <c>output-stream</c> the guest writes the body through.</summary>
    public abstract OutputStream OpenStream(long? deadline);

    /// <summary>The guest finished the body.</summary>
    public abstract void Finish();

    /// <summary>The body ends unfinished; whoever reads it sees a failure, never a complete body.</summary>
    public abstract void Abort(string reason);
}

/// <summary>The body of an outgoing response.</summary>
internal sealed class ResponseBody(OutgoingHttpResponse response) : OutgoingBody
{
    public override OutputStream OpenStream(long? deadline) => new BodyOutputStream(response, deadline);

    public override void Finish() => response.Finish();

    public override void Abort(string reason) => response.Abort(reason);
}

/// <summary>The output stream over an outgoing body: writes go into its pipe, waiting (up to the deadline) for room.</summary>
internal sealed class BodyOutputStream(OutgoingHttpResponse response, long? deadline) : OutputStream
{
    public override bool Write(ReadOnlySpan<byte> bytes)
    {
        if (response.Finished)
        {
            return false;
        }

        return WriteAndWait(response.Writer, bytes, deadline, "the client did not take the response body before the request deadline");
    }

    /// <summary>
    /// Writes into a body pipe and waits, on the guest's own thread (docs/threading.md), while the reader is behind:
    /// the backpressure a slow peer puts on the guest, bounded by the request deadline (then a trap naming
    /// <paramref name="late"/>). <see langword="false"/> when the reader has gone.
    /// </summary>
    internal static bool WriteAndWait(PipeWriter writer, ReadOnlySpan<byte> bytes, long? deadline, string late)
    {
        writer.Write(bytes);
        using var timeout = WasiDeadline.Token(deadline);
        try
        {
#pragma warning disable VSTHRD002
            var result = writer.FlushAsync(timeout?.Token ?? CancellationToken.None).AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
            return !result.IsCompleted;
        }
        catch (OperationCanceledException)
        {
            throw new ComponentTrapException(late);
        }
    }
}

/// <summary>
/// The body of an incoming request or response, handed out once by <c>incoming-body.stream</c>; dropped before
/// that, it releases what the stream holds (a response's connection).
/// </summary>
internal sealed class IncomingBody(InputStream stream) : IDisposable
{
    public InputStream Stream { get; } = stream;

    public bool StreamTaken { get; set; }

    public void Dispose()
    {
        if (!StreamTaken)
        {
            StreamTaken = true;
            (Stream as IDisposable)?.Dispose();
        }
    }
}

/// <summary>What <c>incoming-body.finish</c> returns: the request's trailers, which Spindle does not pass on (none).</summary>
internal sealed class FutureTrailers
{
    public bool Taken { get; set; }
}

/// <summary>A request a guest builds for <c>wasi:http/outgoing-handler</c>.</summary>
internal sealed class OutgoingRequest(HttpFields headers)
{
    public HttpFields Headers { get; } = headers.Clone(immutable: true);

    public Variant Method { get; set; } = new(0, null);

    public string? PathWithQuery { get; set; }

    public Variant? Scheme { get; set; }

    public string? Authority { get; set; }

    /// <summary>The body, once the guest asked for it.</summary>
    public RequestBody? Body { get; set; }
}

/// <summary>Timeouts a guest may set for an outgoing request (nanoseconds).</summary>
internal sealed class RequestOptions
{
    public ulong? ConnectTimeout { get; set; }

    public ulong? FirstByteTimeout { get; set; }

    public ulong? BetweenBytesTimeout { get; set; }
}
