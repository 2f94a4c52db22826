using Spindle.Core;

namespace Spindle.Host;

/// <summary>Limits and settings for running guests; every value has a documented default (docs/host.md).</summary>
public sealed record HostOptions
{
    /// <summary>Default <see cref="MaxConcurrentInstances"/>.</summary>
    public const int DefaultMaxConcurrentInstances = 64;

    /// <summary>
    /// Upper bound of <see cref="MaxConcurrentInstances"/>: every instance slot reserves several GiB of address space
    /// in the pooling allocator.
    /// </summary>
    public const int MaxInstancesLimit = 1000;

    /// <summary>Default <see cref="StoreHandleCapacity"/>: 1024 open stores per instance.</summary>
    public const int DefaultStoreHandleCapacity = 1024;

    /// <summary>Default <see cref="MaxMemoryBytes"/>: 256 MiB of linear memory per instance.</summary>
    public const long DefaultMaxMemoryBytes = 256L * 1024 * 1024;

    /// <summary>Lower bound of <see cref="MaxMemoryBytes"/>: one 64 KiB WebAssembly page.</summary>
    public const long MaxMemoryBytesMinimum = 64 * 1024;

    /// <summary>
    /// Upper bound of <see cref="MaxMemoryBytes"/>: 4 GiB, all a 32-bit memory can address and the address space
    /// Wasmtime reserves per memory (a larger value makes the engine refuse its configuration).
    /// </summary>
    public const long MaxMemoryBytesMaximum = 4L * 1024 * 1024 * 1024;

    /// <summary>Default <see cref="RequestTimeout"/>.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most guest instances running at once; a request past it is refused (HTTP 503) instead of queued, so a slow
    /// guest cannot pile up unbounded work.
    /// </summary>
    public int MaxConcurrentInstances { get; init; } = DefaultMaxConcurrentInstances;

    /// <summary>
    /// Largest linear memory one instance may grow to (<see cref="MaxMemoryBytesMinimum"/> to
    /// <see cref="MaxMemoryBytesMaximum"/>); growth past it fails inside the guest, and a module whose initial memory
    /// is larger does not load (<see cref="MemoryLimitException"/>).
    /// </summary>
    public long MaxMemoryBytes { get; init; } = DefaultMaxMemoryBytes;

    /// <summary>
    /// How long guest code may run for one request. Checked by epoch interruption while guest code runs, so an
    /// endless loop is stopped (HTTP 500) without harming the host.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>Most key-value stores one instance may have open (WIT <c>store-table-full</c> past it).</summary>
    public int StoreHandleCapacity { get; init; } = DefaultStoreHandleCapacity;

    /// <summary>
    /// Largest result the host buffers for a guest (for example all keys of <c>get-keys</c>); past it the call fails
    /// with an io error naming the limit.
    /// </summary>
    public int MaxHostBufferedBytes { get; init; } = 128 * 1024 * 1024;

    /// <summary>Keys per page of <c>wasi:keyvalue</c> <c>list-keys</c> (1 to 100,000; default 1,000).</summary>
    public int KeysPerPage { get; init; } = KeyValueLimits.DefaultPageSize;

    /// <summary>
    /// Folder for compiled modules, so a restart does not recompile; <see langword="null"/> keeps them in memory only.
    /// </summary>
    public string? CompilationCacheDirectory { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/>, naming the property, for a limit outside its range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrentInstances);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxConcurrentInstances, MaxInstancesLimit);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMemoryBytes, MaxMemoryBytesMinimum);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxMemoryBytes, MaxMemoryBytesMaximum);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(StoreHandleCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxHostBufferedBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(KeysPerPage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(KeysPerPage, 100_000);
    }
}
