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

/// <summary>The output stream over an outgoing response's body: what the guest writes streams to the client.</summary>
internal sealed class BodyOutputStream(OutgoingHttpResponse response, long? deadline)
    : PipeOutputStream(deadline, "the client did not take the response body before the request deadline")
{
    protected override PipeWriter? Writer => response.Finished ? null : response.Writer;
}

/// <summary>
/// An output stream into a pipe that a peer (the client, a server) reads, with <c>wasi:io/streams</c> backpressure:
/// <c>check-write</c> is 0 and <c>subscribe</c> not ready while the peer is behind (the pipe past its pause
/// threshold), and a <c>write</c> within the permit never waits. A guest that writes without asking waits instead, on
/// its own thread (docs/threading.md), until the peer catches up or the request deadline passes (then a trap naming
/// the late peer), so what the host holds stays bounded either way.
/// </summary>
internal abstract class PipeOutputStream(long? deadline, string late) : OutputStream
{
    // What check-write permits while the peer keeps up: the pipe's pause threshold, so one permitted write fills it
    // at most once.
    private const ulong WriteBudget = 64 * 1024;

    // The flush of the last write while the peer has not taken enough of it; null once it has.
    private Task<FlushResult>? _flushing;
    private bool _readerGone;

    /// <summary>The pipe's writer, or <see langword="null"/> once the body has ended.</summary>
    protected abstract PipeWriter? Writer { get; }

    public override bool IsClosed => Writer is null || PeerGone();

    public override ulong CheckWrite() => IsClosed || Behind() ? 0 : WriteBudget;

    public override bool Write(ReadOnlySpan<byte> bytes)
    {
        if (Behind())
        {
            WaitForPeer();
        }

        if (Writer is not { } writer || PeerGone())
        {
            return false;
        }

        writer.Write(bytes);
        var flush = writer.FlushAsync();
        if (flush.IsCompletedSuccessfully)
        {
            _readerGone |= flush.Result.IsCompleted;
        }
        else
        {
            _flushing = flush.AsTask();
        }

        return true;
    }

    // Every write is flushed into the pipe as it is made; there is nothing more to start.
    public override bool Flush() => !IsClosed;

    public override bool BlockingFlush()
    {
        WaitForPeer();
        return !IsClosed;
    }

    public override Pollable Subscribe() => new Writable(this);

    // Whether the last write's flush still waits for the peer; observes its end once it has ended.
    private bool Behind()
    {
        if (_flushing is not { } flushing)
        {
            return false;
        }

        if (!flushing.IsCompleted)
        {
            return true;
        }

        _flushing = null;
#pragma warning disable VSTHRD002 // completed already
        _readerGone |= !flushing.IsCompletedSuccessfully || flushing.Result.IsCompleted;
#pragma warning restore VSTHRD002
        return false;
    }

    private bool PeerGone() => !Behind() && _readerGone;

    private void WaitForPeer()
    {
        // A guest thread waiting for its peer, bounded by the deadline (docs/threading.md); WaitAny, unlike Wait, does
        // not throw for a flush that failed, which Behind() then observes as the peer gone.
#pragma warning disable VSTHRD002
        if (_flushing is { } flushing && Task.WaitAny([flushing], WasiDeadline.Remaining(deadline)) < 0)
#pragma warning restore VSTHRD002
        {
            throw new ComponentTrapException(late);
        }

        Behind();
    }

    private sealed class Writable(PipeOutputStream stream) : Pollable
    {
        public override bool IsReady => !stream.Behind();

#pragma warning disable VSTHRD003, VSTHRD114 // only waited on (Task.WaitAny), on a guest thread; null when ready already
        internal override Task? WhenReady => stream.Behind() ? stream._flushing : null;
#pragma warning restore VSTHRD003, VSTHRD114
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
