using Spindle.Host;
using Spindle.Testing;

namespace Spindle.Trigger.Http.Tests;

/// <summary>
/// A ProbeServer over one JavaScript guest (built by scripts/build-js-guests.sh), shared by a test class: the 12 MB
/// component compiles once, into a cache shared by test runs.
/// </summary>
public abstract class JsGuestServer : IAsyncLifetime
{
    internal ProbeServer Server { get; private set; } = null!;

    /// <summary>The guest's name in scripts/build-js-guests.sh.</summary>
    protected abstract string Guest { get; }

    /// <summary>The request deadline (loop tests wait for it).</summary>
    protected virtual TimeSpan RequestTimeout => TimeSpan.FromSeconds(5);

    /// <summary>Which outbound requests the guest may send (none by default).</summary>
    protected virtual Func<Uri, bool>? AllowOutbound => null;

    /// <summary>Whether the guest may send requests to its own server (<c>http://self</c>).</summary>
    protected virtual bool AllowSelf => false;

    /// <summary>The component's variables (none by default).</summary>
    protected virtual IReadOnlyDictionary<string, string>? Variables => null;

    /// <summary>Stores per instance.</summary>
    protected virtual int StoreCapacity => HostOptions.DefaultStoreHandleCapacity;

    public virtual async ValueTask InitializeAsync() => Server = await ProbeServer.StartAsync(
        new HostOptions
        {
            StoreHandleCapacity = StoreCapacity,
            RequestTimeout = RequestTimeout,
            MaxMemoryBytes = 256L * 1024 * 1024,
            CompilationCacheDirectory = Path.Combine(Path.GetTempPath(), "spindle-test-compiled"),
        },
        wasm: JsGuests.Path(Guest),
        allowOutbound: AllowOutbound,
        allowSelf: AllowSelf,
        variables: Variables);

    public virtual async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
