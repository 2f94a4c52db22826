using System.Text;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Spindle.Configuration;

/// <summary>Reads TOML files and typed values out of them, turning every problem into a <see cref="ConfigurationException"/>.</summary>
internal static class TomlFile
{
    /// <summary>Largest TOML file read: manifests and runtime configs are a few KiB; anything bigger is a wrong path.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and parses the file; <paramref name="hint"/> says what the user should pass instead of a wrong file.</summary>
    public static TomlTable Read(string path, string what, string hint)
    {
        byte[] bytes;
        try
        {
            // A device or FIFO reports length 0 and may never end (or block), so such files are treated as empty
            // without being opened, and the size is checked before reading. Issue #6: /dev/zero hung start-up.
            var info = new FileInfo(path);
            if (info.Length > MaxFileBytes)
            {
                throw new ConfigurationException(path, null, $"the {what} is {info.Length} bytes, more than a {what} can be ({MaxFileBytes} bytes); {hint}");
            }

            bytes = info.Length == 0 ? [] : File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(path, null, $"cannot read the {what}: {ex.Message}", ex);
        }

        if (bytes.AsSpan().StartsWith("\0asm"u8))
        {
            throw new ConfigurationException(path, null, $"is a WebAssembly file, not a {what}; {hint}");
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ConfigurationException(path, null, $"the {what} is not UTF-8 text (invalid byte at offset {ex.Index}); {hint}", ex);
        }

        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        return Parse(text, path, what);
    }

    public static TomlTable Parse(string text, string path, string what)
    {
        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, path, validate: true);
        }
        catch (TomlException ex)
        {
            throw new ConfigurationException(path, null, $"the {what} is not valid TOML: {ex.Message.Trim().ReplaceLineEndings(" ")}", ex);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IndexOutOfRangeException or FormatException or OverflowException)
        {
            // Tomlyn 2.10.2 throws ArgumentOutOfRangeException for a basic string that ends the file with a backslash
            // (found by ConfigurationFuzzTests); whatever its parser trips on is still the file's fault.
            throw new ConfigurationException(path, null, $"the {what} is not valid TOML (the parser stopped: {ex.Message}); check for an unterminated string or escape", ex);
        }

        // Only the first error: the rest usually follow from it, and a binary file passed by mistake yields hundreds.
        // Validation covers what the object model would let through: a key or table defined twice.
        var first = document.Diagnostics.FirstOrDefault(d => d.Kind == DiagnosticMessageKind.Error);
        if (first is not null)
        {
            var start = first.Span.Start;
            throw new ConfigurationException($"{path}({start.Line + 1},{start.Column + 1})", null, $"the {what} is not valid TOML: {first.Message}");
        }

        // The model is built from the syntax tree, not by Tomlyn's object deserializer, which keeps only the last
        // [[a.b]] when other tables come between two of them (issue #6: routes were lost that way).
        return TomlModel.Build(document, path);
    }

    public static string? OptionalString(TomlTable table, string key, string path, string keyPath)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        return value as string ?? throw new ConfigurationException(path, keyPath, $"must be a string, not {Describe(value)}");
    }

    public static string RequiredString(TomlTable table, string key, string path, string keyPath, string hint) =>
        OptionalString(table, key, path, keyPath)
        ?? throw new ConfigurationException(path, keyPath, $"is missing; {hint}");

    public static TomlTable? OptionalTable(TomlTable table, string key, string path, string keyPath)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        return value as TomlTable ?? throw new ConfigurationException(path, keyPath, $"must be a table, not {Describe(value)}");
    }

    public static IReadOnlyList<string> OptionalStringArray(TomlTable table, string key, string path, string keyPath)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return [];
        }

        if (value is not TomlArray array)
        {
            throw new ConfigurationException(path, keyPath, $"must be an array of strings, not {Describe(value)}");
        }

        var result = new List<string>(array.Count);
        foreach (var item in array)
        {
            result.Add(item as string ?? throw new ConfigurationException(path, keyPath, $"must contain only strings, not {Describe(item)}"));
        }

        return result;
    }

    public static void RejectUnknownKeys(TomlTable table, IReadOnlyCollection<string> known, string path, string? tablePath)
    {
        foreach (var key in table.Keys)
        {
            if (!known.Contains(key))
            {
                var keyPath = tablePath is null ? key : $"{tablePath}.{key}";
                throw new ConfigurationException(
                    path,
                    keyPath,
                    $"unknown key; remove it or check its spelling (known keys here: {string.Join(", ", known)})");
            }
        }
    }

    public static string Describe(object? value) => value switch
    {
        null => "nothing",
        string => "a string",
        long or int => "an integer",
        double => "a number",
        bool => "a boolean",
        TomlTable => "a table",
        TomlArray => "an array",
        TomlTableArray => "an array of tables",
        _ => "a " + value.GetType().Name,
    };
}
