using System.Buffers.Text;
using System.Text;

namespace Spindle.Core;

/// <summary>
/// The list-keys cursor format shared by all backends: the last key returned, so the next page starts strictly after
/// it (keyset paging). Keys added or removed between pages therefore never make a key repeat or go missing.
/// </summary>
internal static class KeyCursor
{
    private const string Prefix = "k1.";

    /// <summary>Returns the cursor that resumes after <paramref name="lastKey"/>.</summary>
    public static string After(string lastKey)
    {
        ArgumentNullException.ThrowIfNull(lastKey);
        return Prefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastKey));
    }

    /// <summary>Returns the key a cursor resumes after, or <see langword="null"/> for a <see langword="null"/> cursor.</summary>
    /// <exception cref="KeyValueException">The cursor is not one a store produced (kind <see cref="KeyValueErrorKind.Io"/>).</exception>
    public static string? Decode(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        if (cursor.StartsWith(Prefix, StringComparison.Ordinal))
        {
            try
            {
                var bytes = Base64Url.DecodeFromChars(cursor.AsSpan(Prefix.Length));
                return new UTF8Encoding(false, true).GetString(bytes);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                // fall through to the error below
            }
        }

        throw new KeyValueException(KeyValueErrorKind.Io, "invalid list-keys cursor: pass back a cursor returned by a previous call, or none to start");
    }
}
