namespace Spindle.Host;

/// <summary>An HTTP request as Spin 1.x's <c>http-types</c> record carries it to <c>handle-http-request</c>.</summary>
/// <param name="Method">One of <see cref="HttpGuestRequest.Methods"/>.</param>
/// <param name="Uri">The path and query as received.</param>
/// <param name="Headers">Header names (lower case) and values, including Spin's <c>spin-*</c> headers.</param>
/// <param name="Body">The body bytes; Spin always passes a body, possibly empty.</param>
public sealed record HttpGuestRequest(string Method, string Uri, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    /// <summary>The methods the v1 <c>method</c> enum has, in discriminant order.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
}

/// <summary>What <c>handle-http-request</c> returned.</summary>
/// <param name="Status">The status code; the host turns one outside 100..=600 into 500, as Spin does.</param>
/// <param name="Headers">Response headers, or none.</param>
/// <param name="Body">The body, or <see langword="null"/> when the guest returned none.</param>
public sealed record HttpGuestResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body);
