using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Spindle.Trigger.Http.Tests;

/// <summary>
/// HTTP/1.1 over a plain socket, for what an <see cref="HttpClient"/> would hide: the exact bytes on the wire (a
/// client drops a body sent with HEAD or 204 itself) and requests whose body is never sent.
/// </summary>
internal sealed class RawHttp : IDisposable
{
    private readonly TcpClient _client = new();
    private NetworkStream _stream = null!;

    private RawHttp()
    {
    }

    public static async Task<RawHttp> ConnectAsync(Uri baseUrl)
    {
        var raw = new RawHttp();
        await raw._client.ConnectAsync(IPAddress.Loopback, baseUrl.Port, TestContext.Current.CancellationToken);
        raw._stream = raw._client.GetStream();
        return raw;
    }

    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line that ends them) and <paramref name="body"/>.</summary>
    public async Task SendAsync(string head, byte[]? body = null)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(head + "\r\n\r\n"), TestContext.Current.CancellationToken);
        if (body is not null)
        {
            await _stream.WriteAsync(body, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Sends more bytes, such as a body sent in pieces.</summary>
    public async Task WriteAsync(byte[] bytes) => await _stream.WriteAsync(bytes, TestContext.Current.CancellationToken);

    /// <summary>Reads until the server closes the connection (send <c>Connection: close</c>), at most for <paramref name="timeout"/>.</summary>
    public async Task<RawResponse> ReadToEndAsync(TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        using var bytes = new MemoryStream();
        try
        {
            await _stream.CopyToAsync(bytes, deadline.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the server neither answered nor closed within {timeout.TotalSeconds} s; got so far: {Encoding.ASCII.GetString(bytes.ToArray())}");
        }

        return RawResponse.Parse(bytes.ToArray());
    }

    /// <summary>
    /// Reads what follows (after <see cref="ReadHeadAsync"/>) until the server closes the connection, at most for
    /// <paramref name="timeout"/>; <c>Reset</c> tells whether it ended with a reset rather than a clean close.
    /// </summary>
    public async Task<(byte[] Bytes, bool Reset)> ReadRestAsync(TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        using var bytes = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (await _stream.ReadAsync(buffer, deadline.Token) is var n and > 0)
            {
                bytes.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the server did not close within {timeout.TotalSeconds} s; got so far: {Encoding.ASCII.GetString(bytes.ToArray())}");
        }
        catch (IOException)
        {
            return (bytes.ToArray(), true);
        }

        return (bytes.ToArray(), false);
    }

    /// <summary>Reads the status line and headers only, at most for <paramref name="timeout"/>.</summary>
    public async Task<RawResponse> ReadHeadAsync(TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        var bytes = new List<byte>();
        var one = new byte[1];
        try
        {
            while (!EndsWithBlankLine(bytes))
            {
                if (await _stream.ReadAsync(one, deadline.Token) == 0)
                {
                    break;
                }

                bytes.Add(one[0]);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no response head within {timeout.TotalSeconds} s; got so far: {Encoding.ASCII.GetString([.. bytes])}");
        }

        return RawResponse.Parse([.. bytes]);
    }

    public void Dispose() => _client.Dispose();

    private static bool EndsWithBlankLine(List<byte> bytes) =>
        bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n';
}

/// <summary>A response as it came off the wire.</summary>
internal sealed record RawResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public static RawResponse Parse(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            throw new InvalidDataException($"no complete response head in: {text}");
        }

        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1)
            .Select(l => l.Split(':', 2))
            .Select(p => new KeyValuePair<string, string>(p[0].Trim(), p[1].Trim()))
            .ToList();
        return new RawResponse(status, headers, bytes[(end + 4)..]);
    }

    /// <summary>Every value of header <paramref name="name"/> (compared case-insensitively).</summary>
    public IEnumerable<string> Values(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);
}
