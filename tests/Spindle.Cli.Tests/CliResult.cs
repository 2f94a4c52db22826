using System.Text;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>What one <see cref="SpindleCli.RunAsync"/> call did.</summary>
internal sealed record CliResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public static async Task<CliResult> RunAsync(byte[] stdin, params string[] args)
    {
        using var input = new MemoryStream(stdin, writable: false);
        using var output = new MemoryStream();
        using var error = new StringWriter();
        var exitCode = await SpindleCli.RunAsync(args, new CliConsole(input, output, error), TestContext.Current.CancellationToken);
        return new CliResult(exitCode, output.ToArray(), error.ToString());
    }

    /// <summary>Checks the command succeeded and wrote nothing on standard error.</summary>
    public void AssertSuccess()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}, stderr: {Stderr}");
        Assert.Equal(string.Empty, Stderr);
    }

    /// <summary>Checks an expected failure: the exit code, nothing on stdout, and one line on stderr holding every fragment.</summary>
    public void AssertError(int exitCode, params string[] fragments)
    {
        Assert.True(ExitCode == exitCode, $"expected exit code {exitCode}, got {ExitCode}, stderr: {Stderr}");
        Assert.Empty(Stdout);
        Assert.StartsWith("spindle: ", Stderr, StringComparison.Ordinal);
        Assert.EndsWith("\n", Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', Stderr.TrimEnd('\n'));
        Assert.DoesNotContain("   at ", Stderr, StringComparison.Ordinal);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, Stderr, StringComparison.Ordinal);
        }
    }
}
