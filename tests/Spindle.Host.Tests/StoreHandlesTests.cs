using Spindle.Core;

namespace Spindle.Host.Tests;

public sealed class StoreHandlesTests : IDisposable
{
    private readonly StoreRegistry _registry = new();

    public StoreHandlesTests()
    {
        _registry.Add("default", new InMemoryStoreManager());
        _registry.Add("secret", new InMemoryStoreManager());
    }

    [Fact]
    public void Open_returns_handles_to_granted_stores()
    {
        var session = new StoreHandles(_registry.ForComponent(["default"]));
        var handle = session.Open("default");
        session.Get(handle).Set("k", [1]);
        Assert.Equal([1], _registry.Open("default").Get("k"));
    }

    [Fact]
    public void Label_not_granted_is_access_denied_even_if_it_exists()
    {
        var session = new StoreHandles(_registry.ForComponent(["default"]));
        var ex = Assert.Throws<KeyValueException>(() => session.Open("secret"));
        Assert.Equal(KeyValueErrorKind.AccessDenied, ex.Kind);
        Assert.Contains("key_value_stores", ex.Message, StringComparison.Ordinal);
        Assert.Equal(KeyValueErrorKind.AccessDenied, Assert.Throws<KeyValueException>(() => session.Open("nowhere")).Kind);
    }

    [Fact]
    public void Granted_label_with_no_store_is_no_such_store()
    {
        var session = new StoreHandles(_registry.ForComponent(["default", "missing"]));
        Assert.Equal(KeyValueErrorKind.NoSuchStore, Assert.Throws<KeyValueException>(() => session.Open("missing")).Kind);
    }

    [Fact]
    public void Component_with_no_labels_can_open_nothing()
    {
        var session = new StoreHandles(_registry.ForComponent([]));
        Assert.Equal(KeyValueErrorKind.AccessDenied, Assert.Throws<KeyValueException>(() => session.Open("default")).Kind);
    }

    [Fact]
    public void Full_session_is_store_table_full_and_does_not_open_the_backend()
    {
        // Issue #6: the session opens through the counting manager itself, not through a registry that caches stores,
        // so every open the session makes is counted.
        var opens = 0;
        var session = new StoreHandles(new CountingManager(() => opens++), capacity: 2);
        session.Open("default");
        session.Open("default");
        Assert.Equal(2, opens);

        Assert.Equal(KeyValueErrorKind.StoreTableFull, Assert.Throws<KeyValueException>(() => session.Open("default")).Kind);
        Assert.Equal(2, opens); // the third open never reached the backend
        Assert.Equal(2, session.OpenCount);
    }

    [Fact]
    public void Closed_handle_is_invalid_store_and_close_of_unknown_is_a_no_op()
    {
        var session = new StoreHandles(_registry.ForComponent(["default"]));
        var handle = session.Open("default");
        session.Close(handle);
        Assert.Equal(KeyValueErrorKind.InvalidStore, Assert.Throws<KeyValueException>(() => session.Get(handle)).Kind);
        session.Close(handle);
        session.Close(12345);
    }

    [Fact]
    public void Registry_rejects_duplicate_labels() =>
        Assert.Throws<ArgumentException>(() => _registry.Add("default", new InMemoryStoreManager()));

    [Fact]
    public void Registry_disposes_disposable_managers_once()
    {
        var manager = new DisposableManager();
        var registry = new StoreRegistry();
        registry.Add("a", manager);
        registry.Add("b", manager);
        registry.Dispose();
        registry.Dispose();
        Assert.Equal(1, manager.Disposals);
    }

    public void Dispose() => _registry.Dispose();

    private sealed class CountingManager(Action onOpen) : IKeyValueStoreManager
    {
        public IKeyValueStore Open(string label)
        {
            onOpen();
            return new InMemoryStore(label);
        }
    }

    private sealed class DisposableManager : IKeyValueStoreManager, IDisposable
    {
        public int Disposals { get; private set; }

        public IKeyValueStore Open(string label) => new InMemoryStore(label);

        public void Dispose() => Disposals++;
    }
}
