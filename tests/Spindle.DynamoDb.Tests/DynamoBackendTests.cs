using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Spindle.Core;

namespace Spindle.DynamoDb.Tests;

/// <summary>What the conformance suite cannot see: the table, the requests, the item layout (issue #7).</summary>
public sealed class DynamoBackendTests(DynamoServer server) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    // Issue #7
    [Fact]
    public async Task The_table_is_created_on_first_use_with_the_documented_key_schema()
    {
        var table = Open(server.Options("create"));
        table.Open("app").Set("k", [1]);

        using var raw = server.RawClient();
        var description = (await raw.DescribeTableAsync(table.TableName, TestContext.Current.CancellationToken)).Table;
        Assert.Equal("ACTIVE", description.TableStatus.Value);
        Assert.Equal(["pk HASH", "sk RANGE"], description.KeySchema.Select(k => $"{k.AttributeName} {k.KeyType.Value}"));
        Assert.Equal(["pk S", "sk B"], description.AttributeDefinitions.Select(a => $"{a.AttributeName} {a.AttributeType.Value}").Order());
    }

    // Issue #7
    [Fact]
    public async Task Labels_share_one_table_and_stay_apart()
    {
        var table = Open(server.Options("labels"));
        var first = table.Open("first");
        var second = table.Open("second");
        first.Set("k", "one"u8.ToArray());
        second.Set("k", "two"u8.ToArray());
        first.Increment("n", 5);
        second.Delete("n");

        Assert.Equal("one"u8.ToArray(), first.Get("k"));
        Assert.Equal("two"u8.ToArray(), second.Get("k"));
        Assert.Equal(5, first.Increment("n", 0));
        Assert.Equal(["k"], second.ListKeys().Keys);
        Assert.Equal([new("k", "two"u8.ToArray()), new("n", null)], second.GetMany(["k", "n"]));
        second.DeleteMany(["k", "n"]);
        Assert.Equal("one"u8.ToArray(), first.Get("k"));

        var items = await ScanAsync(table.TableName);
        Assert.Equal(["first", "first"], items.Select(i => i["pk"].S).Order());
    }

    // Issue #7
    [Theory]
    [InlineData("#pk = :pk OR attribute_exists(#sk)")]
    [InlineData(":from) OR (1 = 1")]
    [InlineData("'; DROP TABLE victim; --")]
    [InlineData("\u0301\u200d\ufeff\U0010FFFF混合")]
    public void Keys_and_values_travel_as_attribute_values_never_in_expression_text(string key)
    {
        var http = new RecordingHttp();
        var store = Open(server.Options("injection"), http).Open("test");
        var value = Encoding.UTF8.GetBytes("value of " + key);

        store.Set(key, value);
        store.SetMany([new(key + "2", value)]);
        Assert.Equal(value, store.Get(key));
        Assert.True(store.Exists(key));
        Assert.Equal([key, key + "2"], store.ListKeys().Keys);
        Assert.Equal([key], store.ListKeys(prefix: key, limit: 1).Keys);
        Assert.Equal(value, store.GetMany([key])[0].Value);
        Assert.True(store.TrySwap(key, store.GetVersioned(key).Version, value));
        Assert.Equal(1, store.Increment(key + "n", 1));
        store.DeleteMany([key + "2"]);
        store.Delete(key);
        Assert.Null(store.Get(key));

        // Keys and values are binary attribute values (base64 on the wire), so their text appears in no request.
        Assert.NotEmpty(http.Requests);
        Assert.All(http.Requests, request => Assert.DoesNotContain(key, request.Body.GetRawText(), StringComparison.Ordinal));
    }

    // Issue #7
    [Fact]
    public void SetMany_and_DeleteMany_are_split_into_BatchWriteItem_calls_of_at_most_25()
    {
        var http = new RecordingHttp();
        var store = Open(server.Options("batch-write"), http).Open("test");
        var items = Enumerable.Range(0, 60).Select(i => new KeyValuePair<string, byte[]>($"k{i:D3}", [(byte)i])).ToArray();

        store.SetMany(items);
        Assert.Equal([25, 25, 10], http.Of("BatchWriteItem").Select(WriteCount));
        Assert.Equal(items.Select(i => i.Key), AllKeys(store));

        http.Clear();
        store.DeleteMany([.. items.Select(i => i.Key), "missing"]);
        Assert.Equal([25, 25, 11], http.Of("BatchWriteItem").Select(WriteCount));
        Assert.Empty(store.ListKeys().Keys);
    }

    // Issue #7
    [Fact]
    public void GetMany_is_split_into_BatchGetItem_calls_of_at_most_100_distinct_keys()
    {
        var http = new RecordingHttp();
        var store = Open(server.Options("batch-get"), http).Open("test");
        store.SetMany([.. Enumerable.Range(0, 250).Select(i => new KeyValuePair<string, byte[]>($"k{i:D3}", [(byte)i]))]);
        http.Clear();

        // 250 distinct keys, one asked for twice (BatchGetItem refuses duplicates), and one missing.
        string[] keys = [.. Enumerable.Range(0, 250).Select(i => $"k{i:D3}"), "k007", "missing"];
        var result = store.GetMany(keys);

        Assert.Equal([100, 100, 51], http.Of("BatchGetItem").Select(GetCount));
        Assert.Equal(keys, result.Select(r => r.Key));
        Assert.Equal([7], result[250].Value);
        Assert.Null(result[251].Value);
        Assert.All(result.Take(250), (entry, i) => Assert.Equal([(byte)i], entry.Value!));
    }

    // Issue #7
    [Fact]
    public void GetMany_asks_again_for_the_unprocessed_keys_of_an_answer_that_passed_the_size_limit()
    {
        // dynalite, like DynamoDB (16 MB), stops an answer at a size limit (about 1.4 MB) and returns the rest as
        // UnprocessedKeys: ten values of 340 KiB do not fit in one answer.
        var http = new RecordingHttp();
        var store = Open(server.Options("unprocessed"), http).Open("test");
        var values = Enumerable.Range(0, 10).Select(i => Filled(340 * 1024, i)).ToArray();
        store.SetMany([.. values.Select((v, i) => new KeyValuePair<string, byte[]>($"big{i}", v))]);
        http.Clear();

        var result = store.GetMany([.. Enumerable.Range(0, 10).Select(i => $"big{i}")]);

        Assert.All(result, (entry, i) => Assert.Equal(values[i], entry.Value!));
        var calls = http.Of("BatchGetItem");
        Assert.True(calls.Count >= 3, $"expected the ten keys to need several answers, got {calls.Count} BatchGetItem calls");
        Assert.Equal(10, calls[0].GetProperty("RequestItems").EnumerateObject().Single().Value.GetProperty("Keys").GetArrayLength());
        Assert.True(GetCount(calls[1]) < 10);
    }

    // Issue #7
    [Fact]
    public async Task A_value_over_the_item_limit_is_kept_in_parts_and_its_parts_go_when_it_is_replaced_or_deleted()
    {
        var table = Open(server.Options("parts"));
        var store = table.Open("test");
        var big = Filled(1024 * 1024, 3);

        store.Set("big", big);
        Assert.Equal(big, store.Get("big"));
        Assert.Equal(big, store.GetMany(["big"])[0].Value);
        Assert.Equal(["big"], store.ListKeys().Keys);
        var items = await ScanAsync(table.TableName);
        Assert.Equal(4, items.Count); // the head and three parts of 350 KiB
        Assert.Equal("3", items.Single(i => i["sk"].B.ToArray()[0] == (byte)'k')["n"].N);

        var versioned = store.GetVersioned("big");
        Assert.Equal(big, versioned.Value);
        var bigger = Filled(2 * 1024 * 1024, 5);
        Assert.True(store.TrySwap("big", versioned.Version, bigger));
        Assert.False(store.TrySwap("big", versioned.Version, big));
        Assert.Equal(bigger, store.Get("big"));
        Assert.Equal(7, (await ScanAsync(table.TableName)).Count); // six parts; the old three and the losing swap's are gone

        store.Set("big", [1]);
        Assert.Single(await ScanAsync(table.TableName));

        store.SetMany([new("a", big), new("b", big)]);
        store.SetMany([new("a", [2]), new("b", big)]);
        Assert.Equal(6, (await ScanAsync(table.TableName)).Count); // the heads big, a and b, and b's three new parts
        store.DeleteMany(["a", "b"]);
        store.Delete("big");
        Assert.Empty(await ScanAsync(table.TableName));
    }

    // Issue #7
    [Fact]
    public void A_reader_racing_writers_of_a_large_value_sees_one_whole_value_or_the_other()
    {
        // Each write deletes the parts of the value it replaced, so a reader that read the old head finds its parts
        // gone and must read the head again rather than return nothing or a mix.
        var store = Open(server.Options("parts-race")).Open("test");
        byte[][] values = [Filled(400 * 1024, 1), Filled(400 * 1024, 2)];
        store.Set("big", values[0]);
        var done = 0;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reads = 0;
        var reader = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                var value = store.Get("big");
                Interlocked.Increment(ref reads);
                if (value is null || (!value.AsSpan().SequenceEqual(values[0]) && !value.AsSpan().SequenceEqual(values[1])))
                {
                    errors.Enqueue(value is null ? "null" : $"{value.Length} bytes matching neither value");
                }
            }
        });
        reader.Start();
        for (var i = 0; i < 40; i++)
        {
            store.Set("big", values[i % 2]);
        }

        Volatile.Write(ref done, 1);
        Assert.True(reader.Join(TimeSpan.FromSeconds(30)), "the reader did not finish");
        Assert.Empty(errors);
        Assert.True(reads > 0);
    }

    // Issue #7
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Consistent_read_is_sent_on_plain_reads_as_configured_and_always_for_read_modify_write(bool consistentRead)
    {
        var http = new RecordingHttp();
        var store = Open(server.Options("consistent", consistentRead), http).Open("test");
        store.Set("k", [1]);
        store.Set("big", Filled(400 * 1024, 1));
        http.Clear();

        store.Get("k");
        store.Exists("k");
        store.ListKeys();
        store.GetMany(["k"]);
        foreach (var operation in new[] { "GetItem", "Query" })
        {
            Assert.All(http.Of(operation), body => Assert.Equal(consistentRead, Consistent(body)));
        }

        Assert.All(http.Of("BatchGetItem"), body => Assert.Equal(consistentRead, Consistent(body.GetProperty("RequestItems").EnumerateObject().Single().Value)));
        Assert.Equal(4, http.Requests.Count);

        // Counters, CAS and the parts of a large value are read strongly whatever the option says.
        http.Clear();
        store.Increment("n", 1);
        store.GetVersioned("k");
        Assert.Equal(2, http.Of("GetItem").Count);
        Assert.All(http.Of("GetItem"), body => Assert.True(Consistent(body)));
        http.Clear();
        store.Get("big");
        Assert.All(http.Of("BatchGetItem"), body => Assert.True(Consistent(body.GetProperty("RequestItems").EnumerateObject().Single().Value)));
        Assert.NotEmpty(http.Of("BatchGetItem"));
    }

    // Issue #7
    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1000)]
    public void ListKeys_takes_any_page_size_and_asks_in_queries_of_at_most_1000_items(int limit)
    {
        var http = new RecordingHttp();
        var store = Open(server.Options("page-size"), http).Open("test");
        var keys = Enumerable.Range(0, 1500).Select(i => $"k{i:D4}").ToArray();
        store.SetMany([.. keys.Select(k => new KeyValuePair<string, byte[]>(k, [1]))]);
        http.Clear();

        var page = store.ListKeys(limit: limit);

        Assert.Equal(keys.Take(limit), page.Keys);
        Assert.Equal(limit < keys.Length, page.Cursor is not null);
        Assert.All(http.Of("Query"), body => Assert.InRange(body.GetProperty("Limit").GetInt32(), 1, 1000));
        Assert.Equal(2, http.Of("Query").Count);
    }

    // Issue #7
    [Fact]
    public void A_key_longer_than_a_sort_key_holds_is_an_io_error_naming_the_limit_and_writes_nothing()
    {
        var store = Open(server.Options("long-key")).Open("test");
        store.Set(new string('k', 1023), [1]);

        var error = Assert.Throws<KeyValueException>(() => store.Set(new string('k', 1024), [1]));
        Assert.Equal(KeyValueErrorKind.Io, error.Kind);
        Assert.Contains("key limit of 1023 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal([new string('k', 1023)], store.ListKeys().Keys);
    }

    // Issue #7
    [Fact]
    public async Task A_table_with_another_key_schema_is_an_io_error_that_says_what_is_needed()
    {
        var options = server.Options("spin-layout");
        using (var raw = server.RawClient())
        {
            await raw.CreateTableAsync(
                new CreateTableRequest
                {
                    TableName = options.Table,
                    BillingMode = Amazon.DynamoDBv2.BillingMode.PAY_PER_REQUEST,
                    AttributeDefinitions = [new("PK", Amazon.DynamoDBv2.ScalarAttributeType.S)],
                    KeySchema = [new("PK", Amazon.DynamoDBv2.KeyType.HASH)],
                },
                TestContext.Current.CancellationToken);
        }

        var error = Assert.Throws<KeyValueException>(() => Open(options).Open("app").Get("k"));

        Assert.Equal(KeyValueErrorKind.Io, error.Kind);
        Assert.Contains($"DynamoDB table \"{options.Table}\" at {server.Endpoint} has key schema PK (S, HASH)", error.Message, StringComparison.Ordinal);
        Assert.Contains("partition key pk (string) and sort key sk (binary)", error.Message, StringComparison.Ordinal);
    }

    // Issue #7
    [Fact]
    public void An_endpoint_that_refuses_connections_is_an_io_error_naming_the_table_and_endpoint_and_no_credentials()
    {
        server.Require();
        var options = new DynamoStoreOptions("us-east-1", "kv-items", DynamoServer.AccessKey, DynamoServer.SecretKey, Token: "session-token-secret", Endpoint: "http://127.0.0.1:1");

        KeyValueException error;
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(10)))
        {
            error = Assert.Throws<KeyValueException>(() => Open(options).Open("app").Get("k"));
        }

        Assert.Equal(KeyValueErrorKind.Io, error.Kind);
        Assert.StartsWith("DynamoDB get failed for store 'app' on DynamoDB table \"kv-items\" at http://127.0.0.1:1: ", error.Message, StringComparison.Ordinal);
        AssertNoCredentials(error);
    }

    // Issue #7
    [Fact]
    public void Describe_and_ToString_name_the_table_and_not_the_credentials()
    {
        var options = new DynamoStoreOptions("eu-west-1", "kv-items", DynamoServer.AccessKey, DynamoServer.SecretKey, "session-token-secret", ConsistentRead: true);
        using var provider = new DynamoStoreProvider();

        Assert.Equal("DynamoDB table \"kv-items\" in eu-west-1", provider.Describe(options, new StoreProviderContext("default", "/")).Description);
        Assert.Equal("DynamoDB table \"kv-items\" at http://localhost:8000", provider.Describe(options with { Endpoint = "http://localhost:8000" }, new("default", "/")).Description);
        var text = options.ToString();
        Assert.Contains("kv-items", text, StringComparison.Ordinal);
        Assert.DoesNotContain(DynamoServer.SecretKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(DynamoServer.AccessKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("session-token-secret", text, StringComparison.Ordinal);
    }

    internal static void AssertNoCredentials(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e == error)
            {
                Assert.DoesNotContain(DynamoServer.AccessKey, e.Message, StringComparison.Ordinal);
            }

            Assert.DoesNotContain(DynamoServer.SecretKey, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("session-token-secret", e.Message, StringComparison.Ordinal);
        }
    }

    internal static byte[] Filled(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static bool Consistent(JsonElement body) => body.TryGetProperty("ConsistentRead", out var flag) && flag.GetBoolean();

    private static int WriteCount(JsonElement body) => body.GetProperty("RequestItems").EnumerateObject().Single().Value.GetArrayLength();

    private static int GetCount(JsonElement body) => body.GetProperty("RequestItems").EnumerateObject().Single().Value.GetProperty("Keys").GetArrayLength();

    private static List<string> AllKeys(IKeyValueStore store)
    {
        var keys = new List<string>();
        string? cursor = null;
        do
        {
            var page = store.ListKeys(cursor: cursor, limit: 7);
            keys.AddRange(page.Keys);
            cursor = page.Cursor;
        }
        while (cursor is not null);
        return keys;
    }

    private async Task<List<Dictionary<string, AttributeValue>>> ScanAsync(string table)
    {
        using var raw = server.RawClient();
        var items = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? next = null;
        do
        {
            var page = await raw.ScanAsync(new ScanRequest { TableName = table, ExclusiveStartKey = next, ConsistentRead = true }, TestContext.Current.CancellationToken);
            items.AddRange(page.Items ?? []);
            next = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (next is not null);
        return items;
    }

    private DynamoTable Open(DynamoStoreOptions options, RecordingHttp? http = null)
    {
        server.Require();
        var table = new DynamoTable(options, httpClientFactory: http);
        _owned.Add(table);
        return table;
    }
}
