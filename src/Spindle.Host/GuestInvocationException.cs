namespace Spindle.Host;

/// <summary>
/// A guest invocation failed in a way that is the guest's fault or its limits' (trap, deadline, memory, ABI
/// violation, missing export). The instance is discarded; the host and other instances are unaffected.
/// </summary>
public sealed class GuestInvocationException : Exception
{
    /// <summary>Creates the error for component <paramref name="componentId"/>.</summary>
    public GuestInvocationException(string componentId, GuestFailure failure, string message, Exception? innerException = null)
        : base($"component '{componentId}': {message}", innerException)
    {
        ComponentId = componentId;
        Failure = failure;
    }

    /// <summary>The component that failed.</summary>
    public string ComponentId { get; }

    /// <summary>Why it failed.</summary>
    public GuestFailure Failure { get; }
}

/// <summary>The ways a guest invocation can fail.</summary>
public enum GuestFailure
{
    /// <summary>The guest trapped (unreachable, out-of-bounds access, out of memory, a call to an import Spindle does not provide...).</summary>
    Trap,

    /// <summary>The guest ran past <see cref="HostOptions.RequestTimeout"/>.</summary>
    Timeout,

    /// <summary>The guest broke the calling convention (bad pointer, invalid UTF-8, invalid discriminant).</summary>
    AbiViolation,

    /// <summary>The module lacks an export the trigger needs (for example <c>handle-http-request</c>).</summary>
    MissingExport,

    /// <summary>The module could not be instantiated (for example it imports something with the wrong signature).</summary>
    Instantiation,

    /// <summary>A wasi:http handler returned without setting a response, or set an error instead of one.</summary>
    NoResponse,
}
