namespace Spindle.Core;

/// <summary>Opens stores by label.</summary>
public interface IKeyValueStoreManager
{
    /// <summary>Returns the store for <paramref name="label"/>.</summary>
    /// <exception cref="KeyValueException">
    /// <see cref="KeyValueErrorKind.NoSuchStore"/> when no store has that label, <see cref="KeyValueErrorKind.AccessDenied"/>
    /// when the caller may not use it, <see cref="KeyValueErrorKind.Io"/> when the backend cannot be reached.
    /// </exception>
    IKeyValueStore Open(string label);
}
