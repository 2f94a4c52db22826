using System.Buffers.Text;
using System.Globalization;

namespace Spindle.Core;

/// <summary>
/// How counters are stored on every backend: ASCII decimal i64 (<c>-12</c>, <c>0</c>, <c>42</c>), no padding, no
/// whitespace. Spin stores 8-byte little-endian on SQLite and decimal on Redis; Spindle uses decimal everywhere so the
/// bytes an app reads back do not depend on the backend.
/// </summary>
internal static class CounterEncoding
{
    /// <summary>Encodes <paramref name="value"/>.</summary>
    public static byte[] Encode(long value) => System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Decodes a stored counter; a missing value is 0.</summary>
    /// <exception cref="KeyValueException">The value is not a decimal i64 (kind <see cref="KeyValueErrorKind.Io"/>).</exception>
    public static long Decode(string key, ReadOnlySpan<byte> stored)
    {
        // Strict form only: an optional '-' and at least one digit, so "+1", " 1" and "1e3" are not counters.
        var digits = stored.Length > 0 && stored[0] == (byte)'-' ? stored[1..] : stored;
        if (digits.Length > 0 && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9')
            && Utf8Parser.TryParse(stored, out long value, out var consumed) && consumed == stored.Length)
        {
            return value;
        }

        throw new KeyValueException(
            KeyValueErrorKind.Io,
            $"cannot increment key '{key}': its value is not a decimal 64-bit integer; set it to a number such as 0 first");
    }

    /// <summary>Adds with overflow checking.</summary>
    /// <exception cref="KeyValueException">The sum does not fit in an i64 (kind <see cref="KeyValueErrorKind.Io"/>).</exception>
    public static long Add(string key, long current, long delta)
    {
        try
        {
            return checked(current + delta);
        }
        catch (OverflowException ex)
        {
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"cannot increment key '{key}' by {delta}: the result overflows a 64-bit integer (current value {current})",
                ex);
        }
    }
}
