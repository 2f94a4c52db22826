using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>Kills real <c>spindle</c> processes mid-write and checks what survived.</summary>
public sealed class CrashTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Writes_acknowledged_before_a_kill_survive_and_the_file_stays_consistent()
    {
        var spindle = Path.Combine(AppContext.BaseDirectory, "spindle.dll");
        var value = _temp.WriteFile("value.bin", new string('v', 256 * 1024)); // big enough to be mid-write when killed

        // Each iteration is one process; its exit code 0 is the acknowledgement, echoed only after it exits.
        var script = $"for i in $(seq 1 1000); do dotnet '{spindle}' kv set k$i --file '{value}' -f '{_temp.Path}' || exit 1; echo k$i; done";
        var start = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var writer = Process.Start(start)!;
        var acknowledged = new List<string>();
        while (acknowledged.Count < 6 && await writer.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            acknowledged.Add(line);
        }

        // SIGKILL the loop and the spindle process that is writing the next key right now.
        await Task.Delay(Random.Shared.Next(20, 120), TestContext.Current.CancellationToken);
        writer.Kill(entireProcessTree: true);
        await writer.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(6, acknowledged.Count);

        var keys = await CliResult.RunAsync([], "kv", "keys", "-f", _temp.Path);
        keys.AssertSuccess();
        var stored = keys.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(acknowledged, key => Assert.Contains(key, stored));
        foreach (var key in stored)
        {
            var get = await CliResult.RunAsync([], "kv", "get", key, "-f", _temp.Path);
            Assert.Equal(256 * 1024, get.Stdout.Length); // never a torn value
        }

        using var connection = new SqliteConnection($"Data Source={_temp.Combine(".spin", "sqlite_key_value.db")};Pooling=false");
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", check.ExecuteScalar());
    }

    public void Dispose() => _temp.Dispose();
}
