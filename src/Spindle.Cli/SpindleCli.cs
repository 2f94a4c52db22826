using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;
using Spindle.Configuration;
using Spindle.Core;

namespace Spindle.Cli;

/// <summary>
/// Builds the <c>spindle</c> command line and runs it. Expected failures print one line on standard error and map to
/// an exit code (<see cref="ExitCodes"/>); only a bug in Spindle prints a stack trace.
/// </summary>
internal static class SpindleCli
{
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Spindle: key-value storage for WebAssembly apps, compatible with Spin");
        root.Subcommands.Add(new UpCommand(console).Build());
        root.Subcommands.Add(new KvCommand(console).Build());

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            await console.Error.WriteLineAsync($"spindle: {UsageMessage(parse)}").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        using var output = new StreamWriter(console.Output, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (ConfigurationException ex)
        {
            await console.Error.WriteLineAsync($"spindle: {Chain(ex)}").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }
        catch (KeyValueException ex)
        {
            await console.Error.WriteLineAsync($"spindle: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.StoreError;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Interrupted;
        }
        catch (Exception ex)
        {
            // Nothing anticipated this: say so on one line, then give the details a bug report needs.
            await console.Error.WriteLineAsync($"spindle: internal error (a bug in Spindle; please report it with the details below): {ex.GetType().Name}: {Collapse(ex.Message)}").ConfigureAwait(false);
            await console.Error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
            return ExitCodes.InternalError;
        }
    }

    // System.CommandLine reports "Required command was not provided" first even when the real problem is a misspelt
    // command; name what was typed and what exists instead.
    private static string UsageMessage(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            names.Insert(0, result.Command is RootCommand ? "spindle" : result.Command.Name);
        }

        var path = string.Join(' ', names);
        var subcommands = command.Subcommands.Select(c => c.Name).ToList();
        if (subcommands.Count > 0 && parse.CommandResult.Children.All(c => c is not CommandResult))
        {
            var choices = string.Join(", ", subcommands);
            var unmatched = parse.UnmatchedTokens.Count > 0 ? parse.UnmatchedTokens[0] : null;
            return unmatched is not null && !unmatched.StartsWith('-')
                ? $"unknown command '{unmatched}' for '{path}'; use one of: {choices} (see '{path} --help')"
                : $"'{path}' needs a command: {choices} (see '{path} --help')";
        }

        return $"{parse.Errors[0].Message} (see '{path} --help')";
    }

    // The whole cause chain on one line, skipping inner messages the outer one already contains.
    private static string Chain(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            var innerMessage = Collapse(inner.Message);

            // Diagnostics shaped "file(line,col) : error : reason" are already quoted by the outer message.
            var reasonAt = innerMessage.LastIndexOf(" : error : ", StringComparison.Ordinal);
            var reason = reasonAt >= 0 ? innerMessage[(reasonAt + 11)..] : innerMessage;
            if (!Collapse(message).Contains(reason, StringComparison.Ordinal))
            {
                message += ": " + innerMessage;
            }
        }

        return Collapse(message);
    }

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
