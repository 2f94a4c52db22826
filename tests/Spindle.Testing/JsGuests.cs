using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;

namespace Spindle.Testing;

/// <summary>
/// The JavaScript test guests in tests/guests (js-kv, j2w-hello, js-sdk) and examples/js-todo. Their ~12 MB builds are not committed:
/// scripts/build-js-guests.sh builds each once into a cache keyed by the hash of its sources and prints the path.
/// </summary>
public static class JsGuests
{
    // npm ci of the pinned tools plus a componentize-js or j2w build: 20-60 s here on a cold cache.
    private static readonly TimeSpan BuildDeadline = TimeSpan.FromMinutes(10);

    private static readonly ConcurrentDictionary<string, Lazy<string>> Paths = new(StringComparer.Ordinal);

    /// <summary>
    /// The built component of guest <paramref name="name"/>: the file named by <c>SPINDLE_GUEST_&lt;NAME&gt;</c> when
    /// that is set (.ci/run sets it), else what scripts/build-js-guests.sh prints, run at most once per guest and
    /// test process (a cached build makes that run take a fraction of a second).
    /// </summary>
    /// <exception cref="InvalidOperationException">The variable names a missing file, or the build failed; the message says what to run.</exception>
    public static string Path(string name) =>
        Paths.GetOrAdd(name, static n => new Lazy<string>(() => Find(n), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>The environment variable that can name guest <paramref name="name"/>'s component: <c>SPINDLE_GUEST_JS_KV</c> for js-kv.</summary>
    public static string EnvironmentVariable(string name) => "SPINDLE_GUEST_" + name.ToUpperInvariant().Replace('-', '_');

    private static string Find(string name)
    {
        var variable = EnvironmentVariable(name);
        var named = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(named))
        {
            return File.Exists(named)
                ? named
                : throw new InvalidOperationException(
                    $"{variable} names {named}, which does not exist; unset it, or set it to the path printed by: scripts/build-js-guests.sh {name}");
        }

        return Build(name);
    }

    private static string Build(string name)
    {
        var command = $"scripts/build-js-guests.sh {name}";
        var start = new ProcessStartInfo("bash", ["scripts/build-js-guests.sh", name])
        {
            WorkingDirectory = RepoPaths.Root,
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
            throw new InvalidOperationException($"the JavaScript test guests are built by {command}, which needs bash on PATH", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(BuildDeadline))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new InvalidOperationException(
                    $"{command} did not finish within {BuildDeadline.TotalMinutes:0} min; run it by hand to see where it stops");
            }

            var output = stdout.GetAwaiter().GetResult().Trim();
            var errors = stderr.GetAwaiter().GetResult().Trim();
            if (process.ExitCode != 0 || !File.Exists(output))
            {
                throw new InvalidOperationException(
                    $"building the JavaScript test guest '{name}' failed (exit code {process.ExitCode}); run {command} to see why. Its output:\n{errors}");
            }

            return output;
        }
    }
}
