using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Spindle.Components;
using Spindle.Components.Wasi;
using Spindle.Core;
using Wasmtime;

namespace Spindle.Host.Components;

/// <summary>
/// A WebAssembly component, run by Spindle's own Component Model layer (Spindle.Components) over Wasmtime core
/// instances, with the key-value interfaces and WASI 0.2 served by the host. Each request gets a fresh component
/// instance in a fresh store, like core modules.
/// </summary>
internal sealed class ComponentGuest : GuestComponent
{
    private readonly WasmEngine _engine;
    private readonly Component _component;
    private readonly IKeyValueStoreManager _stores;
    private readonly ILogger _logger;
    private readonly ILogger _guestOutput;

    internal ComponentGuest(WasmEngine engine, string id, Component component, IKeyValueStoreManager stores, WasiHttp http, OutgoingHttp? outbound = null, IReadOnlyDictionary<string, string>? variables = null)
        : base(engine, id)
    {
        _outbound = outbound;
        _variables = variables ?? new Dictionary<string, string>();
        _engine = engine;
        _component = component;
        _stores = stores;
        _logger = engine.LoggerFactory.CreateLogger($"Spindle.Host.Component.{id}");
        _guestOutput = engine.LoggerFactory.CreateLogger("Spindle.Guest");
        var type = component.GetFunctionType(InboundHttp.Interface, InboundHttp.Function);
        if (type is not null && !FunctionType.Same(type, InboundHttp.Type))
        {
            throw new ComponentLoadException($"the component exports {InboundHttp.Interface}#{InboundHttp.Function} with type {type}, not Spin's {InboundHttp.Type}");
        }

        ExportsHttpHandler = type is not null;

        // wasi:http/incoming-handler at any 0.2.x version; the first one found serves.
        foreach (var export in component.Exports.Where(e => e.StartsWith("wasi:http/incoming-handler@0.2.", StringComparison.Ordinal)))
        {
            var handle = component.GetFunctionType(export, "handle");
            if (handle is not null && !FunctionType.Same(handle, http.HandlerType))
            {
                throw new ComponentLoadException($"the component exports {export}#handle with type {handle}, not {http.HandlerType}");
            }

            _wasiHttpExport ??= handle is null ? null : export;
        }
    }

    private readonly string? _wasiHttpExport;
    private readonly OutgoingHttp? _outbound;
    private readonly IReadOnlyDictionary<string, string> _variables;

    /// <summary>Whether the component exports <c>wasi:http/incoming-handler</c> (0.2.x) <c>handle</c>.</summary>
    public override bool ExportsWasiHttpHandler => _wasiHttpExport is not null;

    /// <summary>Whether the component exports <c>fermyon:spin/inbound-http</c> <c>handle-request</c>.</summary>
    public override bool ExportsHttpHandler { get; }

    internal Component Component => _component;

    /// <summary>Key-value stores the component's instances hold as resources right now (a leak shows as growth).</summary>
    internal ResourceCounter OpenStores { get; } = new();

    private protected override HttpGuestResponse Handle(HttpGuestRequest request, int method) => Invoke(instance =>
    {
        var handler = instance.GetFunction(InboundHttp.Interface, InboundHttp.Function)
            ?? throw new GuestInvocationException(Id, GuestFailure.MissingExport, $"the component does not export {InboundHttp.Interface}#{InboundHttp.Function}");
        return InboundHttp.Lift(handler.Invoke(InboundHttp.Lower(request, method)));
    });

    /// <inheritdoc/>
    public override Task<WasiHttpGuestResponse> HandleWasiHttpAsync(WasiHttpGuestRequest request, GuestInstanceLease lease)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(lease);
        var export = _wasiHttpExport ?? throw new NotSupportedException($"component '{Id}' does not export wasi:http/incoming-handler");
        var head = new TaskCompletionSource<WasiHttpGuestResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OutgoingHttpResponse? started = null;
        var run = Scheduler.RunAsync(lease, () => Invoke(instance =>
        {
            var handler = instance.GetFunction(export, "handle")!;
            var outparam = new ResponseOutparam((response, error) =>
            {
                if (response is null)
                {
                    head.TrySetException(new GuestInvocationException(Id, GuestFailure.NoResponse, error ?? "the guest set no response"));
                    return;
                }

                started = response;
                head.TrySetResult(new WasiHttpGuestResponse(response.Status, response.Headers.Entries, response.Body, completion.Task));
            });
            var headers = new HttpFields(request.Headers.Select(h => new KeyValuePair<string, byte[]>(h.Key, System.Text.Encoding.Latin1.GetBytes(h.Value))), immutable: true);
            var incoming = new IncomingHttpRequest(request.Method, request.PathWithQuery, request.Scheme, request.Authority, headers, new PipeInputStream(request.Body, request.MaxBodyBytes));
            handler.Invoke(incoming, outparam);
            if (!outparam.IsSet)
            {
                throw new GuestInvocationException(Id, GuestFailure.NoResponse, "the guest returned from wasi:http/incoming-handler.handle without setting a response");
            }

            // A body never asked for is empty; one asked for but not finished was cut short by the guest.
            started?.InstanceEnded(null);
            return true;
        }));
        _ = run.ContinueWith(
            t =>
            {
                if (t.Exception?.InnerException is { } failure)
                {
                    started?.InstanceEnded($"the guest failed after starting the response: {failure.Message}");
                    head.TrySetException(failure);
                    completion.TrySetException(failure);
                }
                else
                {
                    completion.TrySetResult();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return head.Task;
    }

    /// <summary>Runs <paramref name="action"/> against a fresh instance on the calling thread (also for tests and benchmarks).</summary>
    internal T Invoke<T>(Func<ComponentInstance, T> action)
    {
        using var output = new GuestOutput(_guestOutput, Id);
        using var store = new Store(_engine.Engine);
        var options = _engine.Options;

        // A component instance is several core instances (wit-component output has four) with their tables.
        store.SetLimits(memorySize: options.MaxMemoryBytes, tableElements: 100_000, instances: WasmEngine.CoreInstancesPerComponent, tables: 20, memories: 4);
        store.SetEpochDeadline(_engine.DeadlineTicks);
        using var deadline = KeyValueDeadline.Enter(options.RequestTimeout);
        var wasi = new WasiContext
        {
            Stdout = output.Stdout,
            Stderr = output.Stderr,
            Deadline = Stopwatch.GetTimestamp() + (long)(options.RequestTimeout.TotalSeconds * Stopwatch.Frequency),
            OutgoingHttp = _outbound,
        };
        var state = new ComponentState(Id, _stores, options, _logger, wasi, OpenStores) { Variables = _variables };
        try
        {
            ComponentInstance instance;
            try
            {
                instance = _component.Instantiate(store, state);
            }
            catch (WasmtimeException ex) when (ex is not TrapException)
            {
                throw new GuestInvocationException(Id, GuestFailure.Instantiation, $"cannot instantiate: {ex.Message}", ex);
            }

            using (instance)
            {
                return action(instance);
            }
        }
        catch (Exception ex) when (Failure<ComponentTrapException>(ex, options.RequestTimeout) is { } failure)
        {
            throw failure;
        }
    }
}
