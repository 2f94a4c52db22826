using System.Text;

namespace Spindle.Core;

/// <summary>
/// Applies <see cref="KeyValueLimits"/>, key validation and the thread's <see cref="KeyValueDeadline"/> in front of a
/// backend, so every backend behaves the same, an oversized call writes nothing, and no call starts after the deadline.
/// </summary>
internal sealed class LimitedStore(IKeyValueStore inner, KeyValueLimits limits) : IKeyValueStore
{
    // Throws on lone surrogates instead of writing U+FFFD: a key must round-trip exactly.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public string Label => inner.Label;

    internal IKeyValueStore Inner => inner;

    public byte[]? Get(string key)
    {
        KeyValueDeadline.ThrowIfPassed("get", inner.Label);
        CheckKey(key);
        return inner.Get(key);
    }

    public void Set(string key, byte[] value)
    {
        KeyValueDeadline.ThrowIfPassed("set", inner.Label);
        CheckKey(key);
        CheckValue(key, value);
        inner.Set(key, value);
    }

    public void Delete(string key)
    {
        KeyValueDeadline.ThrowIfPassed("delete", inner.Label);
        CheckKey(key);
        inner.Delete(key);
    }

    public bool Exists(string key)
    {
        KeyValueDeadline.ThrowIfPassed("exists", inner.Label);
        CheckKey(key);
        return inner.Exists(key);
    }

    public KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize)
    {
        KeyValueDeadline.ThrowIfPassed("list-keys", inner.Label);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        if (prefix is not null)
        {
            CheckKey(prefix);
        }

        return inner.ListKeys(prefix, cursor, limit);
    }

    public IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys)
    {
        KeyValueDeadline.ThrowIfPassed("get-many", inner.Label);
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            CheckKey(key);
        }

        return inner.GetMany(keys);
    }

    public void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items)
    {
        KeyValueDeadline.ThrowIfPassed("set-many", inner.Label);
        ArgumentNullException.ThrowIfNull(items);

        // Validate everything first: a batch with one oversized entry writes nothing.
        foreach (var (key, value) in items)
        {
            CheckKey(key);
            CheckValue(key, value);
        }

        inner.SetMany(items);
    }

    public void DeleteMany(IReadOnlyList<string> keys)
    {
        KeyValueDeadline.ThrowIfPassed("delete-many", inner.Label);
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            CheckKey(key);
        }

        inner.DeleteMany(keys);
    }

    public long Increment(string key, long delta)
    {
        KeyValueDeadline.ThrowIfPassed("increment", inner.Label);
        CheckKey(key);
        return inner.Increment(key, delta);
    }

    public VersionedValue GetVersioned(string key)
    {
        KeyValueDeadline.ThrowIfPassed("get", inner.Label);
        CheckKey(key);
        return inner.GetVersioned(key);
    }

    public bool TrySwap(string key, string? expectedVersion, byte[] value)
    {
        KeyValueDeadline.ThrowIfPassed("compare-and-swap", inner.Label);
        CheckKey(key);
        CheckValue(key, value);
        return inner.TrySwap(key, expectedVersion, value);
    }

    private void CheckKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);

        // Fast path: every UTF-16 unit encodes to at most 3 UTF-8 bytes.
        if (key.Length * 3 <= limits.MaxKeyBytes && !HasSurrogate(key))
        {
            return;
        }

        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("key is not valid Unicode (it contains a lone surrogate)", nameof(key), ex);
        }

        if (bytes > limits.MaxKeyBytes)
        {
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"key of {bytes} bytes exceeds the key size limit of {limits.MaxKeyBytes} bytes (max key bytes)");
        }
    }

    private void CheckValue(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > limits.MaxValueBytes)
        {
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"value of {value.Length} bytes for key '{Truncate(key)}' exceeds the value size limit of {limits.MaxValueBytes} bytes (max value bytes)");
        }
    }

    private static bool HasSurrogate(string key) => key.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    private static string Truncate(string key) => key.Length <= 64 ? key : string.Concat(key.AsSpan(0, 64), "...");
}
