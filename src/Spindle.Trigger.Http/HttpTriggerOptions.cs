using System.Net;

namespace Spindle.Trigger.Http;

/// <summary>Where and how the trigger listens.</summary>
public sealed record HttpTriggerOptions
{
    /// <summary>Default <see cref="MaxRequestBodyBytes"/>: 32 MiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 32L * 1024 * 1024;

    /// <summary>Upper bound of <see cref="MaxRequestBodyBytes"/>: 1 GiB, as a body is held in one array and copied into guest memory.</summary>
    public const long MaxRequestBodyBytesLimit = 1L << 30;

    /// <summary>The address to listen on; port 0 picks a free port (see <see cref="HttpTrigger.BaseUrl"/>).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 3000);

    /// <summary>
    /// Largest request body accepted, in bytes (413 past it). A body is read only once the request holds an instance
    /// slot, so at most <c>MaxConcurrentInstances</c> bodies are buffered at once.
    /// </summary>
    public long MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;

    /// <summary>
    /// The engine's <see cref="Spindle.Host.WasmEngine.ServiceChainingKey"/>: a request carrying it in
    /// <see cref="Spindle.Host.WasmEngine.ServiceChainingHeader"/> came from a component of this application through
    /// service chaining and goes to the component it names. <see langword="null"/> serves no chained request. The header
    /// is dropped from every request either way.
    /// </summary>
    public string? ServiceChainingKey { get; init; }
}
