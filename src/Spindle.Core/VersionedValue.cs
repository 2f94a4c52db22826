namespace Spindle.Core;

/// <summary>
/// A value read for a later compare-and-swap (<see cref="IKeyValueStore.TrySwap"/>).
/// </summary>
/// <param name="Value">The current value, or <see langword="null"/> when the key is absent.</param>
/// <param name="Version">
/// An opaque token that changes with every write of the key, so a value written back after a change (A, B, A) does not
/// look unchanged. <see langword="null"/> when the key is absent.
/// </param>
public readonly record struct VersionedValue(byte[]? Value, string? Version);
