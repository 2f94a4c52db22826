namespace Spindle.Configuration;

/// <summary>
/// A manifest or runtime config that cannot be used. The message names the file, the key or label, and what to do;
/// the CLI prints it (and any inner messages) on one line and exits with code 2.
/// </summary>
public sealed class ConfigurationException : Exception
{
    /// <summary>Creates an error about <paramref name="key"/> in <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file at fault, or <see langword="null"/> when the problem is a command-line value.</param>
    /// <param name="key">The TOML key, label or flag at fault, or <see langword="null"/> for the file as a whole.</param>
    /// <param name="problem">What is wrong and what to do about it.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ConfigurationException(string? filePath, string? key, string problem, Exception? innerException = null)
        : base(Format(filePath, key, problem), innerException)
    {
        FilePath = filePath;
        Key = key;
    }

    /// <summary>The file at fault, if the problem is in a file.</summary>
    public string? FilePath { get; }

    /// <summary>The key, label or flag at fault.</summary>
    public string? Key { get; }

    private static string Format(string? filePath, string? key, string problem) =>
        (filePath, key) switch
        {
            (null, null) => problem,
            (null, _) => $"{key}: {problem}",
            (_, null) => $"{filePath}: {problem}",
            _ => $"{filePath}: {key}: {problem}",
        };
}
