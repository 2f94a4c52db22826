using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;

namespace Spindle.Configuration;

/// <summary>Reads TOML files and typed values out of them, turning every problem into a <see cref="ConfigurationException"/>.</summary>
internal static class TomlFile
{
    public static TomlTable Read(string path, string what)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(path, null, $"cannot read the {what}: {ex.Message}", ex);
        }

        return Parse(text, path, what);
    }

    public static TomlTable Parse(string text, string path, string what)
    {
        try
        {
            // The strict syntax pass validates what the object model lets through: a key or table defined twice.
            // The model is then built from that syntax tree, not by Tomlyn's object deserializer, which keeps only
            // the last [[a.b]] when other tables come between two of them (issue #6: routes were lost that way).
            var document = SyntaxParser.ParseStrict(text, path, validate: true);
            return TomlModel.Build(document, path);
        }
        catch (TomlException ex)
        {
            // Most of Tomlyn's messages start with "path(line,column) : error : "; keep the position, drop the repeats.
            var detail = ex.Message.Trim().ReplaceLineEndings(" ");
            var position = detail.StartsWith(path, StringComparison.Ordinal) ? detail[path.Length..].Split(' ', 2)[0] : null;
            var reason = detail.Contains(" : error : ", StringComparison.Ordinal) ? detail[(detail.IndexOf(" : error : ", StringComparison.Ordinal) + 11)..] : detail;
            var where = string.IsNullOrEmpty(position) ? path : path + position;
            throw new ConfigurationException(where, null, $"the {what} is not valid TOML: {reason}", ex);
        }
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
