using Spindle.Core;

namespace Spindle.Cli;

/// <summary>
/// The stores components are loaded with before the stores exist. <c>spindle up</c> compiles every component and
/// binds its address before it opens (and perhaps creates) any store, so a failed start writes nothing (issue #6);
/// a request that opens a store in that short window waits here until the stores are open and seeded.
/// </summary>
internal sealed class DeferredStores : IDisposable
{
    private readonly ManualResetEventSlim _settled = new();
    private readonly TimeSpan _wait;
    private StoreRegistry? _registry;
    private string? _failure;

    public DeferredStores(TimeSpan wait) => _wait = wait;

    /// <summary>The view one component gets: the labels its manifest lists, once the stores are open.</summary>
    public IKeyValueStoreManager ForComponent(IReadOnlyList<string> labels) => new ComponentView(this, labels);

    /// <summary>Lets waiting and later requests through to <paramref name="registry"/>.</summary>
    public void Open(StoreRegistry registry)
    {
        _registry = registry;
        _settled.Set();
    }

    /// <summary>Start-up failed: requests get an io error instead of waiting.</summary>
    public void Fail(string reason)
    {
        _failure = reason;
        _settled.Set();
    }

    public void Dispose() => _settled.Dispose();

    private StoreRegistry Registry()
    {
        if (!_settled.Wait(_wait))
        {
            throw new KeyValueException(KeyValueErrorKind.Io, "the application's stores are still opening; retry shortly");
        }

        return _registry ?? throw new KeyValueException(KeyValueErrorKind.Io, $"the application's stores could not be opened: {_failure}");
    }

    private sealed class ComponentView(DeferredStores owner, IReadOnlyList<string> labels) : IKeyValueStoreManager
    {
        private IKeyValueStoreManager? _view;

        public IKeyValueStore Open(string label) =>
            (_view ??= owner.Registry().ForComponent(labels)).Open(label);
    }
}
