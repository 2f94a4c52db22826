using System.Diagnostics.CodeAnalysis;
using Xunit;

namespace Spindle.Testing;

/// <summary>
/// What a test needs from the machine (a server, a compiler). Missing, it skips the test on a developer's machine and
/// fails it on CI (<c>CI=true</c>), where .ci/run installs everything: CI never passes by skipping.
/// </summary>
public static class Prerequisites
{
    /// <summary>Skips the calling test, or fails it with CI=true.</summary>
    /// <param name="skipMessage">Why, and how to install what is missing.</param>
    /// <param name="ciMessage">The failure's message on CI, when it should differ.</param>
    [DoesNotReturn]
    public static void Missing(string skipMessage, string? ciMessage = null)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(ciMessage ?? skipMessage);
        }

        Assert.Skip(skipMessage);
        throw new InvalidOperationException("unreachable: Assert.Skip throws");
    }

    /// <summary>The full path of <paramref name="tool"/> in a folder of PATH or of <paramref name="alsoIn"/>, or <see langword="null"/>.</summary>
    public static string? FindOnPath(string tool, params string[] alsoIn)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Concat(alsoIn))
        {
            var candidate = Path.Combine(folder, tool);
            if (folder.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
