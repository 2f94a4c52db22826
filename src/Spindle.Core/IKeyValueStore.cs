namespace Spindle.Core;

/// <summary>
/// One labelled key-value store. Keys are UTF-8 strings, values are bytes. Every method is synchronous because it runs
/// on the guest's thread inside a host call (docs/threading.md).
/// </summary>
/// <remarks>
/// Expected failures throw <see cref="KeyValueException"/>; misuse by a .NET caller (null key, key that is not valid
/// UTF-16) throws <see cref="ArgumentException"/>. A write returns only after the backend holds it durably.
/// Implementations are safe for concurrent use.
/// </remarks>
public interface IKeyValueStore
{
    /// <summary>The label this store was opened under, for example <c>default</c>.</summary>
    string Label { get; }

    /// <summary>Returns the value of <paramref name="key"/>, or <see langword="null"/> when the key does not exist.</summary>
    byte[]? Get(string key);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, replacing any existing value.</summary>
    void Set(string key, byte[] value);

    /// <summary>Removes <paramref name="key"/>. Removing a key that does not exist succeeds.</summary>
    void Delete(string key);

    /// <summary>Whether <paramref name="key"/> exists. Does not read the value.</summary>
    bool Exists(string key);

    /// <summary>
    /// Lists keys in ascending UTF-8 byte order, at most <paramref name="limit"/> per page, optionally only those
    /// starting with <paramref name="prefix"/>. Start with a <see langword="null"/> <paramref name="cursor"/>, then pass
    /// <see cref="KeyPage.Cursor"/> until it is <see langword="null"/>.
    /// </summary>
    /// <exception cref="KeyValueException">The cursor was not produced by a store (kind <see cref="KeyValueErrorKind.Io"/>).</exception>
    KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize);

    /// <summary>
    /// Reads several keys. The result has one entry per requested key, in request order, with a <see langword="null"/>
    /// value for a missing key. Not atomic across keys.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys);

    /// <summary>Writes several keys. Not atomic by contract (backends may apply it atomically).</summary>
    void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items);

    /// <summary>Removes several keys; missing keys are ignored. Not atomic by contract.</summary>
    void DeleteMany(IReadOnlyList<string> keys);

    /// <summary>
    /// Atomically adds <paramref name="delta"/> to the counter at <paramref name="key"/> and returns the new value. A
    /// missing key counts as 0. The value is stored as ASCII decimal (for example <c>42</c>) on every backend.
    /// </summary>
    /// <exception cref="KeyValueException">The existing value is not a decimal i64, or the result overflows (kind <see cref="KeyValueErrorKind.Io"/>).</exception>
    long Increment(string key, long delta);

    /// <summary>Reads <paramref name="key"/> together with a version token for <see cref="TrySwap"/>.</summary>
    VersionedValue GetVersioned(string key);

    /// <summary>
    /// Writes <paramref name="value"/> only if <paramref name="key"/> has not been written since
    /// <see cref="GetVersioned"/> returned <paramref name="expectedVersion"/>. A <see langword="null"/> version means the
    /// key was absent, and the write then inserts only if it is still absent.
    /// </summary>
    /// <returns><see langword="true"/> when the value was written; <see langword="false"/> when the key changed.</returns>
    bool TrySwap(string key, string? expectedVersion, byte[] value);
}
