using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Spindle.Sqlite;
using Xunit;

namespace Spindle.Cli.Tests.PowerCut;

/// <summary>
/// Issue #10 item 2: a power cut, played for real on a <c>spindle up</c> process. An LD_PRELOAD shim (powercut.c)
/// journals every change to the state folder's files and every fsync; the test kills the server under write load,
/// then undoes every change not fsynced before the kill, as a machine losing power would, and reopens the database.
/// Every write acknowledged before the kill must be there, and the database must pass <c>integrity_check</c>. A
/// store that acknowledged a commit before fsyncing it (synchronous=NORMAL in WAL mode) fails here.
/// </summary>
public sealed class PowerCutTests : IDisposable
{
    // A fixed schedule: the kill comes once this many writes were acknowledged.
    private const int KillAfter = 400;
    private const int Writers = 8;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Writes_acknowledged_before_a_power_cut_are_there_after_it()
    {
        var shim = BuildShim();
        var state = _temp.Combine("state");
        Directory.CreateDirectory(state);
        var journal = _temp.Combine("powercut.journal");
        var port = Ports.Free();
        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

        using (var server = Start(state, port, shim, journal))
        {
            try
            {
                await Ports.WaitUntilListeningAsync(port, async () => server.HasExited
                    ? $"exit code {server.ExitCode}: {await server.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken)}"
                    : null);
                using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        var key = $"w{w}-{i}";
                        var value = $"{key}:{new string('v', 100)}";
                        try
                        {
                            using var response = await client.PutAsync($"http://127.0.0.1:{port}/{key}", new StringContent(value), stop.Token);
                            if (response.IsSuccessStatusCode)
                            {
                                acknowledged[key] = value;
                            }
                        }
                        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                        {
                            return; // the server is gone
                        }
                    }
                })).ToArray();

                var clock = Stopwatch.StartNew();
                while (acknowledged.Count < KillAfter)
                {
                    Assert.False(server.HasExited, "spindle up exited under load");
                    Assert.True(clock.Elapsed < Deadline, $"only {acknowledged.Count} of {KillAfter} writes were acknowledged within {Deadline.TotalSeconds:0} s");
                    await Task.Delay(1, TestContext.Current.CancellationToken);
                }

                // The acknowledgements counted are those that arrived before the kill; the rest are in flight.
                var beforeKill = new Dictionary<string, string>(acknowledged, StringComparer.Ordinal);
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Deadline, TestContext.Current.CancellationToken);
                await stop.CancelAsync();
                await Task.WhenAll(writers).WaitAsync(Deadline, TestContext.Current.CancellationToken);

                var replay = PowerCutJournal.Undo(journal);
                File.Delete(Path.Combine(state, "sqlite_key_value.db-shm")); // shared memory: not on disk after a power cut

                // The shim saw the store's commits: a journal without WAL syncs would prove nothing.
                Assert.True(
                    replay.SyncsPerFile.GetValueOrDefault("sqlite_key_value.db-wal") > 0,
                    $"the shim recorded no sync of the WAL ({replay.Changes} changes, {replay.Syncs} syncs): is LD_PRELOAD honoured?");
                TestContext.Current.SendDiagnosticMessage(
                    $"power cut after {beforeKill.Count} acknowledged writes: {replay.Changes} changes and {replay.Syncs} syncs journaled, {replay.Undone} changes undone");

                AssertIntact(state, beforeKill);
            }
            finally
            {
                if (!server.HasExited)
                {
                    server.Kill(entireProcessTree: true);
                }
            }
        }
    }

    private static void AssertIntact(string state, Dictionary<string, string> acknowledged)
    {
        var path = Path.Combine(state, "sqlite_key_value.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar() as string);
        }

        using var database = SqliteDatabase.OpenFile(path);
        var store = database.Open("default");
        var lost = acknowledged.Where(w => store.Get(w.Key) is not { } value || System.Text.Encoding.UTF8.GetString(value) != w.Value).Select(w => w.Key).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged writes were lost in the power cut, for example {string.Join(", ", lost.Take(5))}");
    }

    private static Process Start(string state, int port, string shim, string journal)
    {
        var spindle = Path.Combine(AppContext.BaseDirectory, "spindle.dll");
        var start = new ProcessStartInfo("dotnet", [spindle, "up", "-f", RepoPaths.Combine("examples", "kv-counter"), "--state-dir", state, "--listen", $"127.0.0.1:{port}"])
        {
            RedirectStandardError = true,
        };
        start.Environment["LD_PRELOAD"] = shim;
        start.Environment["SPINDLE_POWERCUT_DIR"] = Path.GetFullPath(state);
        start.Environment["SPINDLE_POWERCUT_JOURNAL"] = journal;
        return Process.Start(start)!;
    }

    // Compiles powercut.c for this machine; without a C compiler the test is skipped (and fails with CI=true).
    private string BuildShim()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("the power-cut shim is an LD_PRELOAD library for Linux");
        }

        var compiler = new[] { "cc", "clang", "gcc" }.Select(c => Prerequisites.FindOnPath(c)).FirstOrDefault(c => c is not null);
        if (compiler is null)
        {
            Prerequisites.Missing("no C compiler (cc, clang or gcc) to build the power-cut shim; install one with: apt-get install -y clang");
        }

        var output = _temp.Combine("powercut.so");
        var source = Path.Combine(AppContext.BaseDirectory, "PowerCut", "powercut.c");
        using var build = Process.Start(new ProcessStartInfo(compiler, ["-shared", "-fPIC", "-O2", "-o", output, source, "-ldl", "-lpthread"]) { RedirectStandardError = true })!;
        var errors = build.StandardError.ReadToEnd();
        build.WaitForExit();
        Assert.True(build.ExitCode == 0, $"{compiler} could not build the power-cut shim: {errors}");
        return output;
    }
}
