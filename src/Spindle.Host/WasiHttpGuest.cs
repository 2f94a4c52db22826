using System.IO.Pipelines;

namespace Spindle.Host;

/// <summary>An incoming request for a component exporting <c>wasi:http/incoming-handler</c>; the body streams in as the guest reads it.</summary>
/// <param name="Method">The method as received (any method: wasi:http has <c>other</c>).</param>
/// <param name="PathWithQuery">The request target.</param>
/// <param name="Scheme"><c>http</c> or <c>https</c>.</param>
/// <param name="Authority">The Host header, if any.</param>
/// <param name="Headers">Headers in order, one entry per value, including Spin's <c>spin-*</c> headers.</param>
/// <param name="Body">The request body.</param>
/// <param name="MaxBodyBytes">Past this many body bytes the guest's read fails naming the limit.</param>
public sealed record WasiHttpGuestRequest(string Method, string PathWithQuery, string Scheme, string? Authority, IReadOnlyList<KeyValuePair<string, string>> Headers, PipeReader Body, long MaxBodyBytes);

/// <summary>
/// The start of a guest's wasi:http response: status and headers as set by <c>response-outparam.set</c>, and the body
/// as the guest writes it. Reading <see cref="Body"/> throws when the guest failed or returned before finishing the
/// body: the response must then be aborted, not completed. <see cref="Completion"/> ends when the instance does.
/// </summary>
public sealed class WasiHttpGuestResponse
{
    internal WasiHttpGuestResponse(int status, IReadOnlyList<KeyValuePair<string, byte[]>> headers, PipeReader body, Task completion)
    {
        Status = status;
        Headers = headers;
        Body = body;
        Completion = completion;
    }

    /// <summary>The status code (100..999).</summary>
    public int Status { get; }

    /// <summary>The headers in order; values are bytes (send them as Latin-1 to keep them exact).</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> Headers { get; }

    /// <summary>The body as the guest writes it.</summary>
    public PipeReader Body { get; }

    /// <summary>Completes when the guest's instance has ended; faults with <see cref="GuestInvocationException"/> when it failed.</summary>
    public Task Completion { get; }
}
