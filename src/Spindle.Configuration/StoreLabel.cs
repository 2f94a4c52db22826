namespace Spindle.Configuration;

/// <summary>
/// The label rule of Spin manifests: a kebab-case or snake_case identifier. Words are separated by all <c>-</c> or
/// all <c>_</c>; each word starts with an ASCII letter followed by ASCII letters or digits, and its letters are all
/// lowercase or all uppercase (<c>default</c>, <c>user-data</c>, <c>USER_DATA</c>).
/// </summary>
public static class StoreLabel
{
    /// <summary>The label every application has: the built-in SQLite store unless the runtime config replaces it.</summary>
    public const string Default = "default";

    /// <summary>Whether <paramref name="label"/> follows the rule.</summary>
    public static bool IsValid(string? label)
    {
        if (string.IsNullOrEmpty(label))
        {
            return false;
        }

        var hasDash = label.Contains('-', StringComparison.Ordinal);
        var hasUnderscore = label.Contains('_', StringComparison.Ordinal);
        if (hasDash && hasUnderscore)
        {
            return false;
        }

        var separator = hasDash ? '-' : '_';
        foreach (var word in label.Split(separator))
        {
            if (word.Length == 0 || !char.IsAsciiLetter(word[0]))
            {
                return false;
            }

            var upper = char.IsAsciiLetterUpper(word[0]);
            foreach (var c in word)
            {
                var ok = char.IsAsciiDigit(c) || (upper ? char.IsAsciiLetterUpper(c) : char.IsAsciiLetterLower(c));
                if (!ok)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
