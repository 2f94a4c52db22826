using System.CommandLine;
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
            await console.Error.WriteLineAsync($"spindle: {parse.Errors[0].Message} (see 'spindle --help')").ConfigureAwait(false);
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
