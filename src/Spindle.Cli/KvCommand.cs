using System.CommandLine;
using System.Text;
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
        command.SetAction(parse => Run(parse, store =>
        {
            var name = parse.GetValue(key)!;
            var value = store.Get(name);
            if (value is null)
            {
                _console.Error.WriteLine($"spindle: key '{name}' not found in store '{store.Label}'");
                return ExitCodes.NotFound;
            }

            _console.Output.Write(value);
            _console.Output.Flush();
            return ExitCodes.Success;
        }));
        return command;
    }

    private Command Set()
    {
        var key = KeyArgument();
        var value = new Argument<string?>("VALUE")
        {
            Description = "The value, as UTF-8 text (or use --file)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var file = new Option<string?>("--file")
        {
            Description = "Read the value's bytes from this file; '-' reads standard input",
        };
        var command = new Command("set", "Set KEY to VALUE, or to the bytes of --file") { key, value, file };
        command.SetAction(parse => Run(parse, store =>
        {
            var text = parse.GetValue(value);
            var path = parse.GetValue(file);
            if ((text is null) == (path is null))
            {
                throw new ConfigurationException(null, "set", "give the value either as VALUE or with --file PATH (or --file - for standard input), not both");
            }

            store.Set(parse.GetValue(key)!, text is not null ? Utf8.GetBytes(text) : ReadValue(path!));
            return ExitCodes.Success;
        }));
        return command;
    }

    private Command Delete()
    {
        var key = KeyArgument();
        var command = new Command("delete", "Delete KEY (succeeds if it does not exist)") { key };
        command.SetAction(parse => Run(parse, store =>
        {
            store.Delete(parse.GetValue(key)!);
            return ExitCodes.Success;
        }));
        return command;
    }

    private Command Exists()
    {
        var key = KeyArgument();
        var command = new Command("exists", "Print true or false; exit 1 when false") { key };
        command.SetAction(parse => Run(parse, store =>
        {
            var exists = store.Exists(parse.GetValue(key)!);
            WriteLine(exists ? "true" : "false");
            return exists ? ExitCodes.Success : ExitCodes.NotFound;
        }));
        return command;
    }

    private Command Keys()
    {
        var prefix = new Option<string?>("--prefix") { Description = "Only keys starting with this text" };
        var command = new Command("keys", "Print every key, one per line, in UTF-8 byte order") { prefix };
        command.SetAction(parse => Run(parse, store =>
        {
            string? cursor = null;
            do
            {
                var page = store.ListKeys(parse.GetValue(prefix), cursor);
                foreach (var key in page.Keys)
                {
                    WriteLine(key);
                }

                cursor = page.Cursor;
            }
            while (cursor is not null);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Argument<string> KeyArgument() => new("KEY") { Description = "The key (UTF-8 text)" };

    private int Run(ParseResult parse, Func<IKeyValueStore, int> action)
    {
        var label = parse.GetValue(_store)!;
        using var app = _app.Load(parse, requiredLabel: label);
        return action(app.Stores.Registry.Open(label));
    }

    private byte[] ReadValue(string path)
    {
        if (path == "-")
        {
            using var buffer = new MemoryStream();
            _console.Input.CopyTo(buffer);
            return buffer.ToArray();
        }

        try
        {
            return File.ReadAllBytes(path);
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
