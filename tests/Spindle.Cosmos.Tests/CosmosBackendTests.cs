using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Spindle.Core;

namespace Spindle.Cosmos.Tests;

// Issue #7: what the Azure Cosmos backend adds to the conformance suite: Spin's document layout, label isolation,
// keys only as parameters, ETag compare-and-swap, outages, and messages that never hold the key.
public sealed class CosmosBackendTests(CosmosServer server) : IDisposable
{
    private readonly CosmosStoreProvider _provider = new();
    private readonly string _app = $"a{Guid.NewGuid():N}";

    public void Dispose() => _provider.Dispose();

    [Fact]
    public async Task Documents_have_Spin_s_layout_so_a_Spin_app_reads_and_writes_the_same_items()
    {
        var store = Open("default");
        store.Set("greeting", "hi"u8.ToArray());

        var stored = await RawAsync($"{_app}/default", "greeting");
        Assert.Equal("greeting", stored.GetProperty("id").GetString());
        Assert.Equal($"{_app}/default", stored.GetProperty("store_id").GetString());
        Assert.Equal([104, 105], stored.GetProperty("value").EnumerateArray().Select(b => b.GetInt32()));

        // What Spin's set and increment write: a byte array, and a counter as a JSON integer.
        await UpsertRawAsync($$"""{"id":"from-spin","value":[1,2,3],"store_id":"{{_app}}/default"}""", $"{_app}/default");
        await UpsertRawAsync($$"""{"id":"hits","value":41,"store_id":"{{_app}}/default"}""", $"{_app}/default");
        Assert.Equal([1, 2, 3], store.Get("from-spin"));
        Assert.Equal("41"u8.ToArray(), store.Get("hits"));
        Assert.Equal(42, store.Increment("hits", 1));
        Assert.Equal(42, (await RawAsync($"{_app}/default", "hits")).GetProperty("value").GetInt64());
        Assert.Equal(["from-spin", "greeting", "hits"], store.ListKeys().Keys);
    }

    [Fact]
    public async Task Base64_encoding_writes_a_string_and_still_reads_Spin_s_arrays()
    {
        var store = Open("default", CosmosStoreOptions.Base64Encoding);
        var big = new byte[1024 * 1024];
        Random.Shared.NextBytes(big);
        store.Set("big", big);

        var stored = await RawAsync($"{_app}/default", "big");
        Assert.Equal(JsonValueKind.String, stored.GetProperty("value").ValueKind);
        Assert.Equal(big, store.Get("big"));
        await UpsertRawAsync($$"""{"id":"from-spin","value":[7],"store_id":"{{_app}}/default"}""", $"{_app}/default");
        Assert.Equal([7], store.Get("from-spin"));
    }

    [Fact]
    public async Task Labels_are_partitions_of_one_container_and_never_see_each_other_s_keys()
    {
        var cache = Open("cache");
        var sessions = Open("sessions");
        cache.Set("k", "c"u8.ToArray());
        sessions.Set("k", "s"u8.ToArray());
        cache.Set("only-cache", [1]);

        Assert.Equal("c"u8.ToArray(), cache.Get("k"));
        Assert.Equal("s"u8.ToArray(), sessions.Get("k"));
        Assert.Equal(["k"], sessions.ListKeys().Keys);
        Assert.False(sessions.Exists("only-cache"));
        Assert.Equal([new("only-cache", null)], sessions.GetMany(["only-cache"]));
        sessions.DeleteMany(["only-cache"]);
        Assert.True(cache.Exists("only-cache"));
        Assert.Equal("s", Encoding.UTF8.GetString(ValueOf(await RawAsync($"{_app}/sessions", "k"))));

        // Without an app id the label alone is the partition, as its store_id.
        var plain = _provider.Create(server.Options(), new StoreProviderContext("x", "/")).Open(_app);
        plain.Set("k", [9]);
        Assert.Equal(_app, (await RawAsync(_app, "k")).GetProperty("store_id").GetString());
    }

    [Theory]
    [InlineData("it's")]
    [InlineData("\" OR 1=1 --")]
    [InlineData("') OR true OR ('")]
    [InlineData("back\\slash")]
    [InlineData("@store")]
    [InlineData("a/b?c#d%20e")]
    public void Keys_with_quotes_and_query_syntax_are_parameters_not_query_text(string key)
    {
        var store = Open("default");
        store.Set("other", [0]);
        store.Set(key, [1]);

        Assert.True(store.Exists(key));
        Assert.False(store.Exists(key + "x"));
        Assert.Equal([key], store.ListKeys(prefix: key).Keys);
        Assert.Equal([new(key, [1]), new(key + "x", null)], store.GetMany([key, key + "x"]));
        Assert.Equal([1], store.Get(key));
        store.Delete(key);
        Assert.Equal(["other"], store.ListKeys().Keys);
    }

    [Fact]
    public async Task Keys_Cosmos_cannot_hold_as_ids_are_stored_encoded_and_round_trip()
    {
        var store = Open("default");
        string[] keys = ["", "a/b", "trailing ", "tab\t", "100%", "~b64~looks-encoded", new string('k', 300)];
        foreach (var key in keys)
        {
            store.Set(key, Encoding.UTF8.GetBytes(key));
        }

        foreach (var key in keys)
        {
            Assert.Equal(Encoding.UTF8.GetBytes(key), store.Get(key));
        }

        Assert.Equal(keys.Order(Utf8KeyComparer.Instance), store.ListKeys().Keys);
        var raw = await RawAsync($"{_app}/default", "~b64~" + Convert.ToBase64String("a/b"u8).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        Assert.Equal("a/b"u8.ToArray(), ValueOf(raw));
    }

    [Fact]
    public async Task Swap_fails_when_another_client_replaced_the_document_in_between()
    {
        var store = Open("default");
        store.Set("k", "A"u8.ToArray());
        var read = store.GetVersioned("k");

        // Another writer (a Spin app) replaces the document with the same bytes: the ETag changes all the same.
        await UpsertRawAsync($$"""{"id":"k","value":[65],"store_id":"{{_app}}/default"}""", $"{_app}/default");

        Assert.False(store.TrySwap("k", read.Version, "C"u8.ToArray()));
        Assert.Equal("A"u8.ToArray(), store.Get("k"));
        Assert.True(store.TrySwap("k", store.GetVersioned("k").Version, "C"u8.ToArray()));
        Assert.Equal("C"u8.ToArray(), store.Get("k"));
    }

    [Fact]
    public async Task Server_that_stops_answering_gives_io_by_the_deadline_without_the_key_and_works_again_when_back()
    {
        await using var own = await CosmosServer.StartAsync();
        using var provider = new CosmosStoreProvider();
        var store = provider.Create(own.Options(_app), new StoreProviderContext("test", "/")).Open("default");
        const string key = "secret-key-7f3a";
        store.Set(key, "before"u8.ToArray());

        own.Signal("STOP");
        try
        {
            foreach (var call in new Action[] { () => store.Get(key), () => store.Set(key + "-w", [1]), () => store.ListKeys(), () => store.Increment(key + "n", 1) })
            {
                var clock = Stopwatch.StartNew();
                var ex = Assert.Throws<KeyValueException>(() =>
                {
                    using var deadline = KeyValueDeadline.Enter(TimeSpan.FromSeconds(1));
                    call();
                });
                Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
                Assert.Contains("did not answer", ex.Message, StringComparison.Ordinal);
                Assert.Contains("\"localaccount\"", ex.Message, StringComparison.Ordinal);
                Assert.Contains($"container \"{CosmosServer.Container}\"", ex.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(key, ex.ToString(), StringComparison.Ordinal);
                Assert.DoesNotContain(CosmosServer.AccountKey, ex.ToString(), StringComparison.Ordinal);
                Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2.5));
            }
        }
        finally
        {
            own.Signal("CONT");
        }

        // Same provider, same store object: no restart of Spindle. (The timed-out set wrote another key: a write that
        // timed out may still be applied once the server answers.)
        var back = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var deadline = KeyValueDeadline.Enter(TimeSpan.FromSeconds(2));
                Assert.Equal("before"u8.ToArray(), store.Get(key));
                break;
            }
            catch (KeyValueException) when (back.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        store.Set(key, "after"u8.ToArray());
        Assert.Equal("after"u8.ToArray(), store.Get(key));
    }

    [Fact]
    public void Unreachable_server_gives_io_naming_the_account_and_never_the_key()
    {
        server.RequireOrSkip();
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var deadPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var options = server.Options(_app) with { Endpoint = $"https://127.0.0.1:{deadPort}/" };

        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<KeyValueException>(() =>
        {
            using var deadline = KeyValueDeadline.Enter(TimeSpan.FromSeconds(2));
            _provider.Create(options, new StoreProviderContext("test", "/")).Open("default").Get("secret-key-9c1d");
        });

        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(4));
        Assert.Contains($"127.0.0.1:{deadPort}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"localaccount\"", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-key-9c1d", ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(CosmosServer.AccountKey, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_errors_name_the_status_account_container_and_fix_without_the_key()
    {
        server.RequireOrSkip();
        var name = "gone" + _app;
        var gone = await server.CreateContainerAsync(name, "/store_id");
        var store = _provider.Create(server.Options(_app, container: name), new StoreProviderContext("test", "/")).Open("default");
        store.Set("secret-key-51b0", [1]);
        await gone.DeleteContainerAsync(cancellationToken: TestContext.Current.CancellationToken);

        // The SDK's own message and diagnostics quote the request URI, which ends with the document id: the key.
        var ex = Assert.Throws<KeyValueException>(() => store.Set("secret-key-51b0", [2]));

        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains("status 404", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"container \"{name}\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"localaccount\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("check that the database and container exist", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-key-51b0", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Self_signed_certificate_is_refused_unless_insecure_skip_tls_verify_is_set()
    {
        server.RequireOrSkip();
        var options = server.Options(_app) with { InsecureSkipTlsVerify = false };

        var ex = Assert.Throws<KeyValueException>(() =>
        {
            using var deadline = KeyValueDeadline.Enter(TimeSpan.FromSeconds(3));
            _provider.Create(options, new StoreProviderContext("test", "/")).Open("default");
        });

        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains("TLS", ex.Message, StringComparison.Ordinal);
        Assert.Contains("insecure_skip_tls_verify", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_container_or_one_partitioned_otherwise_fails_the_open_saying_how_to_fix_it()
    {
        server.RequireOrSkip();
        var missing = Assert.Throws<KeyValueException>(() =>
            _provider.Create(server.Options(_app, container: "nope" + _app), new StoreProviderContext("test", "/")).Open("default"));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Contains("/store_id", missing.Message, StringComparison.Ordinal);

        var byId = "byid" + _app;
        await server.CreateContainerAsync(byId, "/id");
        var wrong = Assert.Throws<KeyValueException>(() =>
            _provider.Create(server.Options(_app, container: byId), new StoreProviderContext("test", "/")).Open("default"));
        Assert.Contains("partitioned by /id, not /store_id", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_names_the_container_database_and_account_without_the_key()
    {
        var location = _provider.Describe(server.Options(), new StoreProviderContext("cache", "/"));
        Assert.StartsWith("Azure Cosmos container \"kv\" in database \"spindle\" of account \"localaccount\" at https://127.0.0.1:", location.Description, StringComparison.Ordinal);
        Assert.False(location.IsTemporary);
        Assert.DoesNotContain(CosmosServer.AccountKey, server.Options().ToString(), StringComparison.Ordinal);
    }

    private static byte[] ValueOf(JsonElement document) =>
        document.GetProperty("value").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray();

    private IKeyValueStore Open(string label, string valueEncoding = CosmosStoreOptions.BytesEncoding)
    {
        server.RequireOrSkip();
        return _provider.Create(server.Options(_app, valueEncoding), new StoreProviderContext(label, "/")).Open(label);
    }

    private async Task<JsonElement> RawAsync(string storeId, string id)
    {
        using var response = await server.Admin.GetContainer(CosmosServer.Database, CosmosServer.Container)
            .ReadItemStreamAsync(id, new PartitionKey(storeId), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = await JsonDocument.ParseAsync(response.Content, cancellationToken: TestContext.Current.CancellationToken);
        return document.RootElement.Clone();
    }

    private async Task UpsertRawAsync(string json, string storeId)
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        using var response = await server.Admin.GetContainer(CosmosServer.Database, CosmosServer.Container)
            .UpsertItemStreamAsync(body, new PartitionKey(storeId), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
    }
}
