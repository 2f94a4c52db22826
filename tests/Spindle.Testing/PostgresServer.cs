using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Xunit;

namespace Spindle.Testing;

/// <summary>
/// A throw-away PostgreSQL cluster: <c>initdb</c> plus <c>postgres</c> from the distribution's packages, listening on
/// a Unix socket in a temp folder only, run as an unprivileged user because postgres refuses to run as root. Test
/// projects use it as an assembly fixture for the whole run, with <c>fsync</c> and <c>synchronous_commit</c> off for
/// speed; outage tests start their own durable one (PostgreSQL's defaults: a commit returns once its WAL is fsynced),
/// because they kill it.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string ServiceUser = "spindle-test";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private readonly StringBuilder _log = new();
    private readonly bool _durable;
    private Process? _postmaster;
    private string? _folder;
    private string[] _server = [];
    private int _tables;

    /// <summary>A cluster with fsync off (the assembly fixture's constructor).</summary>
    public PostgresServer()
    {
    }

    private PostgresServer(bool durable) => _durable = durable;

    /// <summary>Why the server is not running, or <see langword="null"/> when it is.</summary>
    public string? Unavailable { get; private set; } = "not started";

    /// <summary>A connection string for the cluster's <c>postgres</c> database.</summary>
    public string ConnectionString { get; private set; } = string.Empty;

    /// <summary>Skips the calling test when the server could not be started (fails instead when CI=true).</summary>
    public void Require()
    {
        if (Unavailable is not null)
        {
            Prerequisites.Missing($"PostgreSQL is not available: {Unavailable}", $"PostgreSQL is required on CI: {Unavailable}");
        }
    }

    /// <summary>Starts a cluster for one test; skips (or fails with CI=true) when PostgreSQL is not installed.</summary>
    /// <param name="durable">Keep PostgreSQL's durable defaults (<c>fsync</c>, <c>synchronous_commit</c>), so a
    /// killed server recovers every committed write in <see cref="StartAgainAsync"/>.</param>
    public static async Task<PostgresServer> StartAsync(bool durable = false)
    {
        var server = new PostgresServer(durable);
        try
        {
            await server.InitializeAsync();
            server.Require();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A table name no other test uses.</summary>
    public string NewTable(string purpose) =>
        $"t{Interlocked.Increment(ref _tables)}_{purpose}".ToLowerInvariant();

    public async ValueTask InitializeAsync()
    {
        var bin = FindBinaries();
        if (bin is null)
        {
            Unavailable = "initdb and postgres were not found under /usr/lib/postgresql/*/bin; install them with: sudo apt-get install -y postgresql";
            return;
        }

        // Short path: the socket's path must fit in 107 bytes.
        _folder = Path.Combine("/tmp", "spindle-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_folder);
        var data = Path.Combine(_folder, "data");
        string[] runAs = [];
        if (Environment.IsPrivilegedProcess)
        {
            EnsureServiceUser();
            Run("chown", ServiceUser, _folder);
            runAs = ["setpriv", $"--reuid={ServiceUser}", $"--regid={Run("id", "-g", ServiceUser).Trim()}", "--clear-groups", "--"];
        }

        Run([.. runAs, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);

        var port = Ports.Free();
        string[] speed = _durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"];
        _server =
        [
            .. runAs, Path.Combine(bin, "postgres"), "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-k", _folder,
            "-c", "listen_addresses=", .. speed, "-c", "max_connections=100",
        ];
        ConnectionString = $"Host={_folder};Port={port};Username=postgres;Database=postgres;Pooling=true";
        await StartAgainAsync();
    }

    /// <summary>Starts the postmaster (again, after <see cref="Kill"/>) on the same data folder and port, and waits
    /// until it answers <c>SELECT 1</c> (after a kill, once crash recovery has replayed the WAL).</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(_server[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in _server[1..])
        {
            start.ArgumentList.Add(argument);
        }

        _postmaster?.Dispose();
        _postmaster = Process.Start(start)!;
        _postmaster.ErrorDataReceived += (_, e) => Append(e.Data);
        _postmaster.OutputDataReceived += (_, e) => Append(e.Data);
        _postmaster.BeginErrorReadLine();
        _postmaster.BeginOutputReadLine();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=2");
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                if (_postmaster.HasExited || deadline.Elapsed > StartDeadline)
                {
                    throw new InvalidOperationException($"postgres did not answer SELECT 1 within {StartDeadline.TotalSeconds:0} s: {Log}", ex);
                }

                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        Unavailable = null;
    }

    /// <summary>
    /// Kills the postmaster and every backend with SIGKILL, as a crash would (no shutdown, no checkpoint), and waits
    /// until they are gone, so <see cref="StartAgainAsync"/> can take over the data folder.
    /// </summary>
    public void Kill()
    {
        if (_postmaster is not { HasExited: false } postmaster)
        {
            return;
        }

        // Stopped first (postmaster, then its children), so no backend is forked between listing and killing; the
        // children are listed before the postmaster dies, since they are re-parented then.
        Signal("-STOP");
        List<int> all = [postmaster.Id, .. Descendants(postmaster.Id)];
        Kill("-KILL", all);
        postmaster.WaitForExit(10_000);
        var clock = Stopwatch.StartNew();
        while (all.Any(IsRunning))
        {
            if (clock.Elapsed > StartDeadline)
            {
                throw new TimeoutException($"postgres processes {string.Join(' ', all.Where(IsRunning))} did not end within {StartDeadline.TotalSeconds:0} s of SIGKILL");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>What postgres printed, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Stops the postmaster and all its children (SIGSTOP): the server stops answering but keeps its sockets.</summary>
    public void Freeze() => Signal("-STOP");

    /// <summary>Lets a frozen server run again (SIGCONT).</summary>
    public void Thaw() => Signal("-CONT");

    public async ValueTask DisposeAsync()
    {
        if (_postmaster is { HasExited: false })
        {
            Thaw();
            Run("kill", "-INT", _postmaster.Id.ToString(CultureInfo.InvariantCulture)); // fast shutdown
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _postmaster.WaitForExitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                _postmaster.Kill(entireProcessTree: true);
            }
        }

        _postmaster?.Dispose();
        if (_folder is not null)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a leftover temp folder is harmless
            }
        }
    }

    private void Signal(string signal)
    {
        if (_postmaster is null)
        {
            return;
        }

        // The postmaster first, so it cannot fork new backends meanwhile; then its children, twice, to catch a
        // backend whose fork was under way (a child left stopped after a thaw would hang every later session).
        Kill(signal, [_postmaster.Id]);
        for (var pass = 0; pass < 2; pass++)
        {
            Kill(signal, Descendants(_postmaster.Id));
        }
    }

    private static void Kill(string signal, List<int> pids)
    {
        if (pids.Count == 0)
        {
            return;
        }

        var start = new ProcessStartInfo("kill") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(signal);
        foreach (var pid in pids)
        {
            start.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        }

        // A process that exited meanwhile makes kill fail for that pid only; the others are signalled.
        using var kill = Process.Start(start)!;
        kill.StandardError.ReadToEnd();
        kill.WaitForExit();
    }

    // Gone, or a zombie nobody reaped yet (it holds no shared memory any more).
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces, so parse after the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // the process ended meanwhile
            }
        }

        var result = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var (pid, ppid) in parents)
            {
                if (ppid == parent)
                {
                    result.Add(pid);
                    frontier.Enqueue(pid);
                }
            }
        }

        return result;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static string? FindBinaries()
    {
        if (!Directory.Exists("/usr/lib/postgresql"))
        {
            return null;
        }

        return Directory.EnumerateDirectories("/usr/lib/postgresql")
            .Select(version => Path.Combine(version, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "postgres")))
            .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    private static void EnsureServiceUser()
    {
        var id = Process.Start(new ProcessStartInfo("id", ["-u", ServiceUser]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        id.WaitForExit();
        if (id.ExitCode != 0)
        {
            Run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", ServiceUser);
        }
    }

    private static string Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command[1..])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} exited with {process.ExitCode}: {stderr.Result}{stdout}");
        }

        return stdout;
    }
}
