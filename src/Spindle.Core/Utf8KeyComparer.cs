namespace Spindle.Core;

/// <summary>
/// Orders keys by their UTF-8 bytes, the order SQLite, PostgreSQL (C collation) and Redis use. Ordinal UTF-16 order
/// differs for characters above U+FFFF against U+E000..U+FFFF, which would break cursor paging across backends.
/// </summary>
public sealed class Utf8KeyComparer : IComparer<string>
{
    /// <summary>The single instance.</summary>
    public static Utf8KeyComparer Instance { get; } = new();

    private Utf8KeyComparer()
    {
    }

    /// <inheritdoc/>
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a != b)
            {
                // Surrogates (U+D800..U+DFFF) encode code points above U+FFFF, which sort after every BMP character in
                // UTF-8; lift them above U+E000..U+FFFF and compare the rest as-is.
                return Fixup(a).CompareTo(Fixup(b));
            }
        }

        return x.Length.CompareTo(y.Length);
    }

    private static int Fixup(char c) => c >= '\uD800' && c <= '\uDFFF' ? c + 0x2000 : c >= '\uE000' ? c - 0x800 : c;
}
