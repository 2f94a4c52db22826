namespace Spindle.Cli;

/// <summary>The standard streams a command uses; tests pass memory streams through the same entry point as Main.</summary>
/// <param name="Input">Standard input, read as bytes (for <c>kv set KEY --file -</c>).</param>
/// <param name="Output">Standard output, written as bytes (<c>kv get</c> writes values unchanged).</param>
/// <param name="Error">Standard error, for messages.</param>
internal sealed record CliConsole(Stream Input, Stream Output, TextWriter Error)
{
    public static CliConsole System() =>
        new(Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error);
}
