using Tomlyn.Model;
using Tomlyn.Syntax;

namespace Spindle.Configuration;

/// <summary>
/// Builds the TOML object model (tables, arrays, arrays of tables) from a validated syntax tree, following the TOML
/// rules for dotted keys, <c>[table]</c> headers and <c>[[array.of.tables]]</c> headers in document order.
/// </summary>
/// <remarks>
/// The syntax tree has already passed Tomlyn's strict validation (no key or table defined twice), so a conflict
/// here means a case that validation missed; it is reported as a configuration error with its position rather than
/// resolved silently.
/// </remarks>
internal static class TomlModel
{
    public static TomlTable Build(DocumentSyntax document, string path)
    {
        var root = new TomlTable();
        foreach (var keyValue in document.KeyValues)
        {
            SetValue(root, keyValue, path);
        }

        foreach (var header in document.Tables)
        {
            var names = KeyParts(header.Name, path);
            var parent = Descend(root, names.AsSpan(0, names.Length - 1), header, path);
            var last = names[^1];
            TomlTable table;
            if (header is TableArraySyntax)
            {
                if (!parent.TryGetValue(last, out var existing))
                {
                    existing = new TomlTableArray();
                    parent[last] = existing;
                }

                if (existing is not TomlTableArray array)
                {
                    throw Conflict(header, path, $"[[{string.Join('.', names)}]] names a key that is already {TomlFile.Describe(existing)}");
                }

                table = new TomlTable();
                array.Add(table);
            }
            else
            {
                if (!parent.TryGetValue(last, out var existing))
                {
                    existing = new TomlTable();
                    parent[last] = existing;
                }

                table = existing as TomlTable
                    ?? throw Conflict(header, path, $"[{string.Join('.', names)}] names a key that is already {TomlFile.Describe(existing)}");
            }

            foreach (var keyValue in header.Items)
            {
                SetValue(table, keyValue, path);
            }
        }

        return root;
    }

    // Walks the intermediate keys of a header or dotted key; an array of tables stands for its last element.
    private static TomlTable Descend(TomlTable table, ReadOnlySpan<string> names, SyntaxNode at, string path)
    {
        foreach (var name in names)
        {
            if (!table.TryGetValue(name, out var next))
            {
                next = new TomlTable();
                table[name] = next;
            }

            table = next switch
            {
                TomlTable child => child,
                TomlTableArray { Count: > 0 } array => array[array.Count - 1],
                _ => throw Conflict(at, path, $"key '{name}' is {TomlFile.Describe(next)}, not a table"),
            };
        }

        return table;
    }

    private static void SetValue(TomlTable table, KeyValueSyntax keyValue, string path)
    {
        var names = KeyParts(keyValue.Key, path);
        var parent = Descend(table, names.AsSpan(0, names.Length - 1), keyValue, path);
        if (parent.ContainsKey(names[^1]))
        {
            throw Conflict(keyValue, path, $"key '{string.Join('.', names)}' is defined twice");
        }

        parent[names[^1]] = Value(keyValue.Value, path);
    }

    private static object Value(ValueSyntax? value, string path) => value switch
    {
        StringValueSyntax s => s.Value ?? string.Empty,
        IntegerValueSyntax i => i.Value,
        FloatValueSyntax f => f.Value,
        BooleanValueSyntax b => b.Value,
        DateTimeValueSyntax d => d.Value,
        ArraySyntax array => Array(array, path),
        InlineTableSyntax inline => InlineTable(inline, path),
        null => throw new ConfigurationException(path, null, "the file is not valid TOML: a key has no value"),
        _ => throw Conflict(value, path, $"unsupported TOML value ({value.Kind})"),
    };

    private static TomlArray Array(ArraySyntax syntax, string path)
    {
        var array = new TomlArray();
        foreach (var item in syntax.Items)
        {
            array.Add(Value(item.Value, path));
        }

        return array;
    }

    private static TomlTable InlineTable(InlineTableSyntax syntax, string path)
    {
        var table = new TomlTable(inline: true);
        foreach (var item in syntax.Items)
        {
            SetValue(table, item.KeyValue!, path);
        }

        return table;
    }

    private static string[] KeyParts(KeySyntax? key, string path)
    {
        if (key?.Key is null)
        {
            throw new ConfigurationException(path, null, "the file is not valid TOML: a key is missing");
        }

        var parts = new string[1 + key.DotKeys.ChildrenCount];
        parts[0] = Name(key.Key);
        var index = 1;
        foreach (var dotted in key.DotKeys)
        {
            parts[index++] = Name(dotted.Key!);
        }

        return parts;
    }

    private static string Name(BareKeyOrStringValueSyntax key) => key switch
    {
        BareKeySyntax bare => bare.Key!.Text!,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => key.ToString() ?? string.Empty,
    };

    private static ConfigurationException Conflict(SyntaxNode at, string path, string problem)
    {
        var start = at.Span.Start;
        return new ConfigurationException($"{path}({start.Line + 1},{start.Column + 1})", null, $"the file is not valid TOML: {problem}");
    }
}
