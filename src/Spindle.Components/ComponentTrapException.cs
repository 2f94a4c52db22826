namespace Spindle.Components;

/// <summary>
/// A component broke the Canonical ABI (an out-of-bounds or misaligned pointer, invalid UTF-8, a bad variant tag, a
/// dropped or mistyped handle, ...) or called an import the host does not define. Thrown inside a host call, it traps
/// the instance that made the call; the instance is unusable afterwards.
/// </summary>
public sealed class ComponentTrapException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ComponentTrapException(string message)
        : base(message)
    {
    }
}
