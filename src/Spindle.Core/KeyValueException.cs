namespace Spindle.Core;

/// <summary>
/// An expected key-value failure. The host returns it to the guest as the interface's error value and the CLI prints
/// <see cref="Exception.Message"/>; it never traps a guest. The message is safe to show (no secrets); the full cause is
/// kept in <see cref="Exception.InnerException"/> for the log.
/// </summary>
public sealed class KeyValueException : Exception
{
    /// <summary>Creates an error of the given kind.</summary>
    public KeyValueException(KeyValueErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>The WIT error case this failure maps to.</summary>
    public KeyValueErrorKind Kind { get; }

    internal static KeyValueException Io(string message, Exception? innerException = null) =>
        new(KeyValueErrorKind.Io, message, innerException);
}
