using System.Text.RegularExpressions;

namespace Spindle.Host;

/// <summary>
/// Spin's rule for variable names, for the names guests ask for (spin.toml's are checked, with a message for each way
/// to break it, when the manifest loads): a lowercase letter, then lowercase letters and digits with single
/// underscores between them.
/// </summary>
internal static partial class VariableNames
{
    public static bool IsValid(string name) => Pattern().IsMatch(name);

    [GeneratedRegex(@"^[a-z](_?[a-z0-9])*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
