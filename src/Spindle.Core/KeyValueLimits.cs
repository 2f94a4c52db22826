namespace Spindle.Core;

/// <summary>
/// Size limits applied to every store, whatever its backend. A call past a limit fails with
/// <see cref="KeyValueErrorKind.Io"/> naming the limit, and writes nothing.
/// </summary>
/// <remarks>SIP 010 requires keys of at least 256 bytes and values of at least 1 MB; the defaults accept more.</remarks>
public sealed record KeyValueLimits
{
    /// <summary>Default <see cref="MaxKeyBytes"/>: 1024 bytes of UTF-8.</summary>
    public const int DefaultMaxKeyBytes = 1024;

    /// <summary>Default <see cref="MaxValueBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxValueBytes = 1024 * 1024;

    /// <summary>Default page size of <see cref="IKeyValueStore.ListKeys"/>.</summary>
    public const int DefaultPageSize = 1000;

    /// <summary>The limits used when none are configured.</summary>
    public static KeyValueLimits Default { get; } = new();

    /// <summary>Largest key accepted, in UTF-8 bytes.</summary>
    public int MaxKeyBytes { get; init; } = DefaultMaxKeyBytes;

    /// <summary>Largest value accepted, in bytes.</summary>
    public int MaxValueBytes { get; init; } = DefaultMaxValueBytes;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless both limits are positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxKeyBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxValueBytes);
    }
}
