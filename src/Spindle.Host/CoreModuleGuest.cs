using Microsoft.Extensions.Logging;
using Spindle.Components;
using Spindle.Core;
using Spindle.Host.Abi;
using Wasmtime;

namespace Spindle.Host;

/// <summary>
/// A Spin 1.x core module, ready to serve. Every invocation gets a fresh instance in a fresh store with its own
/// memory cap, deadline and store handles, on a guest thread; a trap or timeout discards only that instance.
/// </summary>
internal sealed class CoreModuleGuest : GuestComponent
{
    private readonly WasmEngine _engine;
    private readonly Module _module;
    private readonly Linker _linker;
    private readonly IKeyValueStoreManager _stores;
    private readonly ILogger _logger;
    private readonly ILogger _guestOutput;

    private readonly IReadOnlyDictionary<string, string> _variables;

    // The pages of the module's memory its instances write, made writable before each new instance runs (see
    // MemoryWorkingSet): a module built around a large runtime (Spin 1.x's JavaScript SDK) writes dozens of image
    // pages per request, each a copy-on-write fault and a TLB flush on the other core without it.
    private readonly MemoryWorkingSet _workingSet = new();

    internal CoreModuleGuest(WasmEngine engine, string id, Module module, Linker linker, IKeyValueStoreManager stores, IReadOnlyDictionary<string, string>? variables = null)
        : base(engine, id)
    {
        _variables = variables ?? new Dictionary<string, string>();
        _engine = engine;
        _module = module;
        _linker = linker;
        _stores = stores;
        _logger = engine.LoggerFactory.CreateLogger($"Spindle.Host.Component.{id}");
        _guestOutput = engine.LoggerFactory.CreateLogger("Spindle.Guest");
        ExportsHttpHandler = module.Exports.Any(e => e.Name == HttpAbi.ExportName);
    }

    /// <summary>Whether the module exports Spin 1.x's <c>handle-http-request</c>.</summary>
    public override bool ExportsHttpHandler { get; }

    private protected override HttpGuestResponse Handle(HttpGuestRequest request, int method) => Invoke(instance =>
    {
        var handler = instance.Instance.GetFunction<int, int, int, int, int, int, int, int, int, int, int>(HttpAbi.ExportName)
            ?? throw new GuestInvocationException(Id, GuestFailure.MissingExport, $"the module does not export {HttpAbi.ExportName}");
        var memory = instance.Context.Memory;
        var a = HttpAbi.Lower(memory, request, method);
        var responsePointer = handler(a.Method, a.UriPtr, a.UriLen, a.HeadersPtr, a.HeadersLen, a.ParamsPtr, a.ParamsLen, a.BodyIsSome, a.BodyPtr, a.BodyLen);
        return HttpAbi.Lift(memory, responsePointer);
    });

    /// <summary>Runs <paramref name="action"/> against a fresh instance on the calling thread (for tests and benchmarks).</summary>
    internal T Invoke<T>(Func<LiveInstance, T> action)
    {
        using var output = new GuestOutput(_guestOutput, Id);
        using var store = new Store(_engine.Engine);
        var options = _engine.Options;
        store.SetLimits(memorySize: options.MaxMemoryBytes, tableElements: 100_000, instances: 1, tables: 10, memories: 1);
        store.SetWasiConfiguration(new WasiConfiguration()
            .WithStandardOutputCallback(output.Stdout)
            .WithStandardErrorCallback(output.Stderr));
        store.SetEpochDeadline(_engine.DeadlineTicks);

        // The same deadline bounds host calls: every store wait ends by it, so a stuck backend cannot hold the guest
        // thread past the request timeout (the epoch only stops guest code).
        using var deadline = KeyValueDeadline.Enter(options.RequestTimeout);
        var context = new GuestContext(Id, new StoreHandles(_stores, options.StoreHandleCapacity), options, _logger) { Variables = _variables };
        using var scope = context.Enter();
        try
        {
            Instance instance;
            try
            {
                instance = _linker.Instantiate(store, _module);
            }
            catch (WasmtimeException ex) when (ex is not TrapException)
            {
                throw new GuestInvocationException(Id, GuestFailure.Instantiation, $"cannot instantiate: {ex.Message}", ex);
            }

            context.Memory = GuestMemory.FromInstance(instance, out var missing)
                ?? throw new GuestInvocationException(Id, GuestFailure.MissingExport, $"the module does not export {missing}");

            Memory[] memories = [context.Memory.Memory];
            var observed = _workingSet.Prefault(memories);
            try
            {
                // Reactor modules initialize their runtime here; command modules run constructors on every export call.
                instance.GetAction("_initialize")?.Invoke();
                return action(new LiveInstance(instance, context));
            }
            finally
            {
                if (observed)
                {
                    _workingSet.Observe(memories);
                }
            }
        }
        catch (Exception ex) when (Failure<GuestAbiException>(ex, options.RequestTimeout) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>An instance while it runs, with its context.</summary>
    internal readonly record struct LiveInstance(Instance Instance, GuestContext Context);
}
