using System.Text;
using Microsoft.Extensions.Logging;

namespace Spindle.Host;

/// <summary>
/// Turns one instance's stdout/stderr into log lines prefixed with the component id. Each write is scanned once for
/// newlines and at most <see cref="MaxLineBytes"/> bytes of a line are kept, so the cost is linear in the output
/// whatever its shape. Lines are decoded from UTF-8 only when complete, so a character split across writes arrives
/// whole.
/// </summary>
internal sealed class GuestOutput(ILogger logger, string componentId) : IDisposable
{
    /// <summary>
    /// Longest line logged (docs/host.md). The first <see cref="MaxLineBytes"/> bytes of a longer line are logged with
    /// <see cref="TruncatedSuffix"/>, and the rest of it, up to the next newline, is dropped.
    /// </summary>
    public const int MaxLineBytes = 16 * 1024;

    /// <summary>Appended to a line cut at <see cref="MaxLineBytes"/>.</summary>
    public const string TruncatedSuffix = " [truncated]";

    private readonly Lock _gate = new();
    private readonly Stream _stdout = new(isError: false);
    private readonly Stream _stderr = new(isError: true);

    public void Stdout(ReadOnlySpan<byte> data) => Append(_stdout, data);

    public void Stderr(ReadOnlySpan<byte> data) => Append(_stderr, data);

    /// <summary>Logs what is left of an unterminated last line.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            EndLine(_stdout);
            EndLine(_stderr);
        }
    }

    private void Append(Stream stream, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            while (!data.IsEmpty)
            {
                var newline = data.IndexOf((byte)'\n');
                var part = newline < 0 ? data : data[..newline];
                Add(stream, part);
                if (newline < 0)
                {
                    break;
                }

                EndLine(stream);
                data = data[(newline + 1)..];
            }
        }
    }

    // Adds bytes of the current line; past the cap the line so far is logged as truncated and the rest dropped.
    private void Add(Stream stream, ReadOnlySpan<byte> part)
    {
        if (stream.Dropping || part.IsEmpty)
        {
            return;
        }

        var room = MaxLineBytes - stream.Length;
        if (part.Length <= room)
        {
            part.CopyTo(stream.Line.AsSpan(stream.Length));
            stream.Length += part.Length;
            return;
        }

        part[..room].CopyTo(stream.Line.AsSpan(stream.Length));
        stream.Length = MaxLineBytes;
        Write(stream, CutAtCharacter(stream.Line) + TruncatedSuffix);
        stream.Length = 0;
        stream.Dropping = true;
    }

    private void EndLine(Stream stream)
    {
        if (!stream.Dropping && stream.Length > 0)
        {
            var line = stream.Line.AsSpan(0, stream.Length);
            if (line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            Write(stream, Encoding.UTF8.GetString(line));
        }

        stream.Length = 0;
        stream.Dropping = false;
    }

    // Decodes a full line buffer without the partial character the cap may have cut through (it would become U+FFFD).
    private static string CutAtCharacter(byte[] line)
    {
        var end = line.Length;
        var back = 0;
        while (back < 3 && end - back > 0 && (line[end - back - 1] & 0xC0) == 0x80)
        {
            back++; // continuation bytes
        }

        if (end - back > 0)
        {
            var lead = line[end - back - 1];
            var needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            end = needed > back + 1 ? end - back - 1 : end;
        }

        return Encoding.UTF8.GetString(line, 0, end);
    }

    private void Write(Stream stream, string line)
    {
        if (stream.IsError)
        {
            Log.GuestStderr(logger, componentId, line);
        }
        else
        {
            Log.GuestStdout(logger, componentId, line);
        }
    }

    private sealed class Stream(bool isError)
    {
        public bool IsError { get; } = isError;

        // Allocated on the first write: most instances write nothing.
        public byte[] Line => field ??= new byte[MaxLineBytes];

        public int Length { get; set; }

        // Inside a line that passed the cap: drop bytes until the next newline.
        public bool Dropping { get; set; }
    }
}
