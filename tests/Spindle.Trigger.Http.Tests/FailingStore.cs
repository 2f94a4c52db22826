using Spindle.Core;

namespace Spindle.Trigger.Http.Tests;

/// <summary>
/// Fault injection for the host's error mapping: every operation fails the way a backend wraps a lost connection
/// (a <see cref="KeyValueException"/> of kind Io with the driver error inside). Real outages of real backends are
/// tested in each backend's own suite.
/// </summary>
internal sealed class FailingStore(string label) : IKeyValueStore
{
    public string Label => label;

    public byte[]? Get(string key) => throw Down();

    public void Set(string key, byte[] value) => throw Down();

    public void Delete(string key) => throw Down();

    public bool Exists(string key) => throw Down();

    public KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize) => throw Down();

    public IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys) => throw Down();

    public void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items) => throw Down();

    public void DeleteMany(IReadOnlyList<string> keys) => throw Down();

    public long Increment(string key, long delta) => throw Down();

    public VersionedValue GetVersioned(string key) => throw Down();

    public bool TrySwap(string key, string? expectedVersion, byte[] value) => throw Down();

    private KeyValueException Down() => new(
        KeyValueErrorKind.Io,
        $"backend for store '{label}' is unreachable",
        new IOException("connection refused (secret=hunter2)"));
}
