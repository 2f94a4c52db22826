using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spindle.Configuration;
using Spindle.Core;

namespace Spindle.Cli;

/// <summary><c>spindle kv</c>: read and write an application's stores from the shell.</summary>
internal sealed class KvCommand
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly CliConsole _console;
    private readonly AppOptions _app = new();
    private readonly Option<string> _store = new("--store", "-s")
    {
        Description = "The store label",
        DefaultValueFactory = _ => StoreLabel.Default,
    };

    public KvCommand(CliConsole console) => _console = console;

    public Command Build()
    {
        var kv = new Command("kv", "Read and write an application's key-value stores (resolved as 'spindle up' does)");
        _app.AddTo(kv);
        foreach (var option in kv.Options)
        {
            option.Recursive = true;
        }

        _store.Recursive = true;
        kv.Options.Add(_store);

        kv.Subcommands.Add(Get());
        kv.Subcommands.Add(Set());
        kv.Subcommands.Add(Delete());
        kv.Subcommands.Add(Exists());
        kv.Subcommands.Add(Keys());
        return kv;
    }

    private Command Get()
    {
        var key = KeyArgument();
        var command = new Command("get", "Write the value of KEY to stdout, byte for byte; exit 1 if it does not exist") { key };
        command.SetAction(parse =>
        {
            var name = Key(parse, key);
            return Run(parse, (store, _) => Print(store, name));
        });
        return command;
    }

    private int Print(IKeyValueStore store, string name)
    {
        var value = store.Get(name);
        if (value is null)
        {
            _console.Error.WriteLine($"spindle: key '{name}' not found in store '{store.Label}'");
            return ExitCodes.NotFound;
        }

        _console.Output.Write(value);
        _console.Output.Flush();
        return ExitCodes.Success;
    }

    private Command Set()
    {
        var key = KeyArgument();
        var value = new Argument<string?>("VALUE")
        {
            Description = "The value: the argument's bytes, as the shell passed them (or use --file)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var file = new Option<string?>("--file")
        {
            Description = "Read the value's bytes from this file; '-' reads standard input",
        };
        var command = new Command("set", "Set KEY to VALUE, or to the bytes of --file") { key, value, file };
        command.SetAction(parse =>
        {
            var text = parse.GetValue(value);
            var path = parse.GetValue(file);
            if (text is not null && path is not null)
            {
                throw new ConfigurationException(null, "set", "give the value either as VALUE or with --file, not both");
            }

            if (text is null && path is null)
            {
                throw new ConfigurationException(null, "set", "VALUE is missing; give it after KEY, or use --file PATH (--file - reads standard input)");
            }

            var name = Key(parse, key);
            return Run(
                parse,
                (store, limits) =>
                {
                    // The argument's own bytes: invalid UTF-8 is kept byte for byte (issue #6), not rewritten to U+FFFD.
                    store.Set(name, text is not null ? CommandLineBytes.ToBytes(text) : ReadValue(path!, limits.MaxValueBytes));
                    return ExitCodes.Success;
                },
                writes: true);
        });
        return command;
    }

    private Command Delete()
    {
        var key = KeyArgument();
        var command = new Command("delete", "Delete KEY (succeeds if it does not exist)") { key };
        command.SetAction(parse =>
        {
            var name = Key(parse, key);
            return Run(
                parse,
                (store, _) =>
                {
                    store.Delete(name);
                    return ExitCodes.Success;
                },
                writes: true);
        });
        return command;
    }

    private Command Exists()
    {
        var key = KeyArgument();
        var command = new Command("exists", "Print true or false; exit 1 when false") { key };
        command.SetAction(parse =>
        {
            var name = Key(parse, key);
            return Run(parse, (store, _) =>
            {
                var exists = store.Exists(name);
                WriteLine(exists ? "true" : "false");
                return exists ? ExitCodes.Success : ExitCodes.NotFound;
            });
        });
        return command;
    }

    private Command Keys()
    {
        var prefix = new Option<string?>("--prefix") { Description = "Only keys starting with this text" };
        var nul = new Option<bool>("--null", "-0") { Description = "End each key with a NUL byte instead of a newline (for xargs -0)" };
        var json = new Option<bool>("--json") { Description = "Print each key as a JSON string, one per line" };
        var command = new Command("keys", "Print every key, one per line, in UTF-8 byte order") { prefix, nul, json };
        command.SetAction(parse =>
        {
            var prefixText = parse.GetValue(prefix);
            if (prefixText is not null && !CommandLineBytes.IsText(prefixText))
            {
                throw new ConfigurationException(null, "--prefix", "is not valid UTF-8; keys are UTF-8 text, so no key starts with it");
            }

            var format = (parse.GetValue(nul), parse.GetValue(json)) switch
            {
                (true, true) => throw new ConfigurationException(null, "--null", "choose --null or --json, not both"),
                (true, false) => KeyFormat.Null,
                (false, true) => KeyFormat.Json,
                _ => KeyFormat.Lines,
            };

            return Run(parse, (store, _) => PrintKeys(store, prefixText, format));
        });
        return command;
    }

    private int PrintKeys(IKeyValueStore store, string? prefixText, KeyFormat format)
    {
        string? cursor = null;
        do
        {
            var page = store.ListKeys(prefixText, cursor);
            foreach (var key in page.Keys)
            {
                WriteKey(key, format);
            }

            cursor = page.Cursor;
        }
        while (cursor is not null);
        return ExitCodes.Success;
    }

    // Issue #6: output must stay unambiguous. A key holding the separator cannot be printed in that format, so the
    // command stops there and names the format that can print it.
    private void WriteKey(string key, KeyFormat format)
    {
        switch (format)
        {
            case KeyFormat.Json:
                WriteLine(JsonSerializer.Serialize(key, KeyJson.Default.String));
                break;
            case KeyFormat.Null when key.Contains('\0', StringComparison.Ordinal):
                throw new ConfigurationException(null, "--null", $"a key contains a NUL byte ({JsonSerializer.Serialize(key, KeyJson.Default.String)}), so NUL cannot separate keys; use --json");
            case KeyFormat.Null:
                _console.Output.Write(Utf8.GetBytes(key + "\0"));
                _console.Output.Flush();
                break;
            case KeyFormat.Lines when key.AsSpan().IndexOfAny('\n', '\r') >= 0:
                throw new ConfigurationException(null, "keys", $"a key contains a line break ({JsonSerializer.Serialize(key, KeyJson.Default.String)}), so keys cannot be printed one per line; use --null or --json");
            default:
                WriteLine(key);
                break;
        }
    }

    // Keys arrive surrogate-escaped when the shell passed bytes that are not UTF-8 (CommandLineBytes): refuse them
    // instead of storing a look-alike key.
    private static string Key(ParseResult parse, Argument<string> argument)
    {
        var key = parse.GetValue(argument)!;
        return CommandLineBytes.IsText(key)
            ? key
            : throw new ConfigurationException(null, "KEY", "is not valid UTF-8; keys are UTF-8 text, so pass the key in UTF-8 (values may be any bytes)");
    }

    private static Argument<string> KeyArgument() => new("KEY") { Description = "The key (UTF-8 text)" };

    private enum KeyFormat
    {
        Lines,
        Null,
        Json,
    }

    private int Run(ParseResult parse, Func<IKeyValueStore, KeyValueLimits, int> action, bool writes = false)
    {
        var label = parse.GetValue(_store)!;
        using var app = _app.Load(parse, requiredLabel: label);
        var location = app.Stores.Location(label);
        if (writes && location.IsTemporary)
        {
            // Issue #6: the write would succeed and vanish when this process exits.
            throw new ConfigurationException(
                null,
                "--store",
                $"store '{label}' is {location.Description} here, so a write would be lost when this command exits; give it a file (--state-dir DIR for the default store, or a path in the runtime config)");
        }

        return action(app.Stores.Registry.Open(label), app.Stores.Registry.Limits);
    }

    // Reads at most one byte past the value limit, so the store's own limit check refuses it with its message and
    // /dev/zero or an endless pipe cannot exhaust memory.
    private byte[] ReadValue(string path, int maxValueBytes)
    {
        try
        {
            using var stream = path == "-" ? null : new FileStream(path, FileMode.Open, FileAccess.Read);
            var source = stream ?? _console.Input;
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            var limit = (long)maxValueBytes + 1;
            while (buffer.Length < limit)
            {
                var read = source.Read(chunk, 0, (int)Math.Min(chunk.Length, limit - buffer.Length));
                if (read == 0)
                {
                    break;
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(null, "--file", $"cannot read '{path}': {ex.Message}", ex);
        }
    }

    private void WriteLine(string text)
    {
        _console.Output.Write(Utf8.GetBytes(text + "\n"));
        _console.Output.Flush();
    }
}

/// <summary>Source-generated JSON for key output (no reflection).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class KeyJson : JsonSerializerContext;
