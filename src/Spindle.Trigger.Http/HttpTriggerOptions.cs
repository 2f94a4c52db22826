using System.Net;

namespace Spindle.Trigger.Http;

/// <summary>Where and how the trigger listens.</summary>
public sealed record HttpTriggerOptions
{
    /// <summary>The address to listen on; port 0 picks a free port (see <see cref="HttpTrigger.BaseUrl"/>).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 3000);

    /// <summary>Largest request body accepted, in bytes (413 past it).</summary>
    public long MaxRequestBodyBytes { get; init; } = 32L * 1024 * 1024;
}
