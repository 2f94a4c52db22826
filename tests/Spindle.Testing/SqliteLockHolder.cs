using System.ComponentModel;
using System.Diagnostics;

namespace Spindle.Testing;

/// <summary>
/// Another process (python3's sqlite3 module) holding a write transaction on a database file until disposed, as
/// <c>sqlite3 db "BEGIN IMMEDIATE; ..."</c> would. Disposing rolls the transaction back and ends the process.
/// </summary>
public sealed class SqliteLockHolder : IDisposable
{
    // Takes the lock, runs the statements, says "locked", then holds everything until stdin closes.
    private const string Script = """
        import sqlite3, sys
        connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
        connection.execute(sys.argv[2])
        for statement in sys.argv[3:]:
            connection.execute(statement)
        print("locked", flush=True)
        sys.stdin.read()
        connection.execute("ROLLBACK")
        """;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private bool _disposed;

    private SqliteLockHolder(Process process) => _process = process;

    /// <summary>Starts the process and returns once it holds the lock.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="begin"><c>BEGIN IMMEDIATE</c> (the write lock) or <c>BEGIN EXCLUSIVE</c>.</param>
    /// <param name="cancellationToken">The test's token.</param>
    /// <param name="statements">Run inside the transaction, left uncommitted.</param>
    public static async Task<SqliteLockHolder> StartAsync(string path, string begin, CancellationToken cancellationToken, params string[] statements)
    {
        var start = new ProcessStartInfo("python3", ["-c", Script, path, begin, .. statements])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("these tests need python3 (with its sqlite3 module) on PATH: apt-get install python3", ex);
        }

        var holder = new SqliteLockHolder(process);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Deadline);
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            holder.Dispose();
            throw new TimeoutException($"python3 did not take the lock on {path} within {Deadline.TotalSeconds:0} s");
        }

        if (line != "locked")
        {
            var error = await process.StandardError.ReadToEndAsync(cancellationToken);
            holder.Dispose();
            throw new InvalidOperationException($"python3 could not take the lock on {path}: {error}");
        }

        return holder;
    }

    /// <summary>Rolls back and waits for the process to end (killing it after the deadline).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It already exited.
        }

        if (!_process.WaitForExit(Deadline))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
