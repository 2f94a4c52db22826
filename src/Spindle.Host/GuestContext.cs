using Microsoft.Extensions.Logging;
using Spindle.Core;
using Spindle.Host.Abi;

namespace Spindle.Host;

/// <summary>
/// What a host call needs about the instance that made it. Set on the guest's thread around every call into the
/// guest, so import callbacks find it without a <c>Caller</c> lookup.
/// </summary>
internal sealed class GuestContext(string componentId, StoreHandles keyValue, HostOptions options, ILogger logger)
{
    [ThreadStatic]
    private static GuestContext? _current;

    public static GuestContext Current =>
        _current ?? throw new InvalidOperationException("a key-value import was called outside a guest invocation");

    public string ComponentId { get; } = componentId;

    public StoreHandles KeyValue { get; } = keyValue;

    public HostOptions Options { get; } = options;

    public ILogger Logger { get; } = logger;

    /// <summary>The component's variables, for <c>spin-config</c>.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>Set once the instance exists; imports run only after that.</summary>
    public GuestMemory Memory { get; set; } = null!;

    /// <summary>Makes this the current context until the returned scope is disposed.</summary>
    public Scope Enter()
    {
        var previous = _current;
        _current = this;
        return new Scope(previous);
    }

    public readonly struct Scope(GuestContext? previous) : IDisposable
    {
        public void Dispose() => _current = previous;
    }
}
