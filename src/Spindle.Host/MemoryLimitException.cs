namespace Spindle.Host;

/// <summary>
/// A module needs more linear memory at start than <see cref="HostOptions.MaxMemoryBytes"/> allows, so no instance of
/// it could ever be created. The module is fine; the limit is too small.
/// </summary>
public sealed class MemoryLimitException : Exception
{
    /// <summary>Creates the error for component <paramref name="componentId"/>.</summary>
    public MemoryLimitException(string componentId, long initialMemoryBytes, long maxMemoryBytes)
        : base($"component '{componentId}': the module's initial memory ({initialMemoryBytes} bytes) is larger than the memory limit of {maxMemoryBytes} bytes (--max-memory-bytes, HostOptions.MaxMemoryBytes); raise the limit to at least {initialMemoryBytes}")
    {
        ComponentId = componentId;
        InitialMemoryBytes = initialMemoryBytes;
        MaxMemoryBytes = maxMemoryBytes;
    }

    /// <summary>The component whose module does not fit.</summary>
    public string ComponentId { get; }

    /// <summary>The module's initial linear memory, in bytes.</summary>
    public long InitialMemoryBytes { get; }

    /// <summary>The limit it exceeds.</summary>
    public long MaxMemoryBytes { get; }
}
