using System.Text.RegularExpressions;

namespace Spindle.Host;

/// <summary>
/// Spin's rule for variable names, for the names guests ask for (spin.toml's are checked, with a message for each way
/// to break it, when the manifest loads): a lowercase letter, then lowercase letters and digits with single
/// underscores between them.
/// </summary>
internal static partial class VariableNames
{
    /// <summary>What a guest is told about <paramref name="name"/> when it breaks the rule, or <see langword="null"/> when it keeps it.</summary>
    public static string? Problem(string name) =>
        Pattern().IsMatch(name) ? null : $"'{name}' is not a variable name: use lowercase letters, digits and single underscores, starting with a letter";

    [GeneratedRegex(@"^[a-z](_?[a-z0-9])*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
