namespace Spindle.Components;

/// <summary>A component cannot be loaded: malformed, outside the supported subset, or its imports do not type-check.</summary>
public sealed class ComponentLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ComponentLoadException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
