using Spindle.Components.Wasi;
using Wasmtime;

namespace Spindle.Host;

/// <summary>
/// One loaded guest, ready to serve HTTP requests: a Spin 1.x core module or a component exporting
/// <c>fermyon:spin/inbound-http</c>. Every request runs in a fresh instance on a guest thread, under the engine's
/// concurrency cap, memory cap and deadline; a trap or timeout discards only that instance.
/// </summary>
public abstract class GuestComponent
{
    private readonly WasmEngine _engine;

    private protected GuestComponent(WasmEngine engine, string id)
    {
        _engine = engine;
        Id = id;
    }

    /// <summary>The component id from the manifest.</summary>
    public string Id { get; }

    /// <summary>Whether the guest exports a Spin 1.x-style HTTP handler (<see cref="HandleHttpAsync"/>).</summary>
    public abstract bool ExportsHttpHandler { get; }

    /// <summary>Whether the guest exports <c>wasi:http/incoming-handler</c> (<see cref="HandleWasiHttpAsync"/>).</summary>
    public virtual bool ExportsWasiHttpHandler => false;

    /// <summary>
    /// Starts handling <paramref name="request"/> on a guest thread. Returns <see langword="null"/> when
    /// <see cref="HostOptions.MaxConcurrentInstances"/> instances are already running.
    /// </summary>
    /// <remarks>The task fails with <see cref="GuestInvocationException"/> when the guest traps, times out or breaks the ABI.</remarks>
    public Task<HttpGuestResponse>? TryHandleHttpAsync(HttpGuestRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var method = CheckedMethodIndex(request);
        return _engine.Scheduler.TryReserve() is { } lease ? RunAsync(request, method, lease) : null;
    }

    /// <summary>
    /// Takes an instance slot for a request whose body is not read yet, or returns <see langword="null"/> when
    /// <see cref="HostOptions.MaxConcurrentInstances"/> slots are taken (answer 503 without reading the body).
    /// </summary>
    public GuestInstanceLease? TryReserveInstance() => _engine.Scheduler.TryReserve();

    /// <summary>Starts handling <paramref name="request"/> on a guest thread in the slot <paramref name="lease"/> holds, which is freed when the instance ends.</summary>
    /// <remarks>The task fails with <see cref="GuestInvocationException"/> when the guest traps, times out or breaks the ABI.</remarks>
    /// <exception cref="ArgumentException">The method is not one Spin 1.x accepts, or the lease is from another engine (the lease stays unused).</exception>
    /// <exception cref="InvalidOperationException">The lease was already used or disposed.</exception>
    public Task<HttpGuestResponse> HandleHttpAsync(HttpGuestRequest request, GuestInstanceLease lease)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(lease);
        return RunAsync(request, CheckedMethodIndex(request), lease);
    }

    /// <summary>
    /// Starts handling a wasi:http request on a guest thread in the slot <paramref name="lease"/> holds. The task
    /// completes when the guest sets its response (the body may still be streaming) and fails with
    /// <see cref="GuestInvocationException"/> when the guest fails or returns without setting one.
    /// </summary>
    /// <exception cref="NotSupportedException">The guest does not export <c>wasi:http/incoming-handler</c>.</exception>
    public virtual Task<WasiHttpGuestResponse> HandleWasiHttpAsync(WasiHttpGuestRequest request, GuestInstanceLease lease) =>
        throw new NotSupportedException($"component '{Id}' does not export wasi:http/incoming-handler");

    private protected GuestScheduler Scheduler => _engine.Scheduler;

    /// <summary>Handles one request in a fresh instance, on the calling (guest) thread.</summary>
    private protected abstract HttpGuestResponse Handle(HttpGuestRequest request, int method);

    /// <summary>
    /// What an invocation threw, as the failure the trigger reports: a timeout (epoch interrupt), an ABI violation
    /// (<typeparamref name="TAbi"/>, the host's own ABI exception, thrown directly or inside a trap), a WASI exit, or
    /// any other trap; <see langword="null"/> for anything else, which propagates unchanged.
    /// </summary>
    private protected GuestInvocationException? Failure<TAbi>(Exception ex, TimeSpan timeout)
        where TAbi : Exception => ex switch
        {
            TrapException { Type: TrapCode.Interrupt } => new(Id, GuestFailure.Timeout, $"ran past the {timeout.TotalSeconds:0.###} s request deadline", ex),
            WasmtimeException when FindInner<TAbi>(ex) is { } abi => new(Id, GuestFailure.AbiViolation, abi.Message, ex),
            WasmtimeException when FindInner<WasiExitException>(ex) is { } exit => new(Id, GuestFailure.Trap, exit.Message, ex),
            WasmtimeException => new(Id, GuestFailure.Trap, $"trapped: {FirstLine(ex.Message)}", ex),
            TAbi abi => new(Id, GuestFailure.AbiViolation, abi.Message, ex),
            _ => null,
        };

    private protected static T? FindInner<T>(Exception ex)
        where T : Exception
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    private protected static string FirstLine(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }

    private static int CheckedMethodIndex(HttpGuestRequest request)
    {
        var method = MethodIndex(request.Method);
        return method >= 0
            ? method
            : throw new ArgumentException($"method {request.Method} is not one Spin 1.x guests accept; answer 405 instead", nameof(request));
    }

    private static int MethodIndex(string method)
    {
        for (var i = 0; i < HttpGuestRequest.Methods.Count; i++)
        {
            if (string.Equals(HttpGuestRequest.Methods[i], method, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private Task<HttpGuestResponse> RunAsync(HttpGuestRequest request, int method, GuestInstanceLease lease) =>
        _engine.Scheduler.RunAsync(lease, () => Handle(request, method));
}
