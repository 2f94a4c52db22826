using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Spindle.Cli;

/// <summary>
/// Keeps command-line arguments that are not valid UTF-8 distinguishable. .NET decodes <c>argv</c> with replacement,
/// so <c>a\xffb</c> and <c>a\xfeb</c> would both arrive as <c>a\uFFFDb</c> (issue #6). On Linux the raw bytes are
/// read back from <c>/proc/self/cmdline</c> and each byte of an invalid sequence is carried as a lone surrogate
/// U+DC80..U+DCFF (the "surrogate escape" Python uses), which <see cref="ToBytes"/> turns back into that byte.
/// </summary>
internal static class CommandLineBytes
{
    private const char EscapeBase = '\uDC00';

    /// <summary>Returns <paramref name="args"/> with every argument that was not valid UTF-8 surrogate-escaped.</summary>
    public static string[] Recover(string[] args)
    {
        if (!OperatingSystem.IsLinux() || !args.Any(a => a.Contains('\uFFFD', StringComparison.Ordinal)))
        {
            return args;
        }

        byte[] cmdline;
        try
        {
            cmdline = File.ReadAllBytes("/proc/self/cmdline");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return args;
        }

        var raw = Split(cmdline);

        // The runtime's own arguments (dotnet, the dll) come first; the program's are the last args.Length entries.
        if (raw.Count < args.Length)
        {
            return args;
        }

        var recovered = (string[])args.Clone();
        var offset = raw.Count - args.Length;
        for (var i = 0; i < args.Length; i++)
        {
            var bytes = raw[offset + i];
            if (Utf8.IsValid(bytes))
            {
                continue;
            }

            // Only replace an argument that is the one decoded from these bytes (same text apart from U+FFFD).
            var decoded = Encoding.UTF8.GetString(bytes);
            if (decoded.Replace("\uFFFD", string.Empty, StringComparison.Ordinal) == args[i].Replace("\uFFFD", string.Empty, StringComparison.Ordinal))
            {
                recovered[i] = Escape(bytes);
            }
        }

        return recovered;
    }

    /// <summary>Decodes UTF-8, carrying each byte of an invalid sequence as U+DC00 + byte.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        var buffer = ArrayPool<char>.Shared.Rent(Math.Max(bytes.Length, 16));
        try
        {
            while (!bytes.IsEmpty)
            {
                var status = Utf8.ToUtf16(bytes, buffer, out var read, out var written, replaceInvalidSequences: false);
                text.Append(buffer, 0, written);
                bytes = bytes[read..];
                if (status == OperationStatus.InvalidData || status == OperationStatus.NeedMoreData)
                {
                    text.Append((char)(EscapeBase + bytes[0]));
                    bytes = bytes[1..];
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }

        return text.ToString();
    }

    /// <summary>Whether <paramref name="text"/> is plain Unicode text: no escaped bytes (no lone surrogates).</summary>
    public static bool IsText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The argument's original bytes: UTF-8 for text, and each escaped byte as itself.</summary>
    public static byte[] ToBytes(string text)
    {
        var bytes = new List<byte>(text.Length);
        Span<byte> scratch = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var length = new Rune(c, text[i + 1]).EncodeToUtf8(scratch);
                bytes.AddRange(scratch[..length]);
                i++;
            }
            else if (c is >= '\uDC80' and <= '\uDCFF')
            {
                bytes.Add((byte)(c - EscapeBase));
            }
            else
            {
                var length = (char.IsSurrogate(c) ? Rune.ReplacementChar : new Rune(c)).EncodeToUtf8(scratch);
                bytes.AddRange(scratch[..length]);
            }
        }

        return [.. bytes];
    }

    private static List<byte[]> Split(byte[] cmdline)
    {
        var parts = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < cmdline.Length; i++)
        {
            if (cmdline[i] == 0)
            {
                parts.Add(cmdline[start..i]);
                start = i + 1;
            }
        }

        if (start < cmdline.Length)
        {
            parts.Add(cmdline[start..]);
        }

        return parts;
    }
}
