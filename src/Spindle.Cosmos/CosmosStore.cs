using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Spindle.Core;

namespace Spindle.Cosmos;

/// <summary>
/// One label: the documents of one logical partition (<c>store_id</c>) of the container. Keys reach the service only
/// as document ids in point operations and as query parameters, never in query text.
/// </summary>
internal sealed class CosmosStore(CosmosContainer container, string label, string storeId, bool base64) : IKeyValueStore
{
    /// <summary>How many point writes set-many and delete-many keep in flight at once.</summary>
    private const int BatchParallelism = 16;

    private readonly PartitionKey _partition = new(storeId);

    public string Label { get; } = label;

    public string StoreId { get; } = storeId;

    private Container Items => container.Container;

    public byte[]? Get(string key)
    {
        var id = CosmosDocuments.IdOf(key);
        return container.Run("get", Label, async token =>
            await ReadAsync(id, token).ConfigureAwait(false) is { } found ? CosmosDocuments.ValueOf(found.Value, container.Description) : null);
    }

    public void Set(string key, byte[] value)
    {
        var id = CosmosDocuments.IdOf(key);
        ArgumentNullException.ThrowIfNull(value);
        container.Run("set", Label, token => UpsertAsync(id, value, token));
    }

    public void Delete(string key)
    {
        var id = CosmosDocuments.IdOf(key);
        container.Run("delete", Label, token => RemoveAsync(id, token));
    }

    public bool Exists(string key)
    {
        var id = CosmosDocuments.IdOf(key);
        var query = new QueryDefinition("SELECT VALUE 1 FROM c WHERE c.store_id = @store AND c.id = @id")
            .WithParameter("@store", StoreId)
            .WithParameter("@id", id);
        return container.Run("exists", Label, async token => (await QueryAsync(query, token).ConfigureAwait(false)).Count > 0);
    }

    public KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var (start, afterStart) = KeyPages.Start(prefix, cursor);

        // The SDK cannot run ORDER BY against a gateway that plans no queries (a local server), and ids that hold
        // encoded keys do not sort as their keys, so each page reads the label's ids and sorts them by UTF-8 bytes.
        // With a prefix, only ids that start with it (or hold an encoded key) are read.
        var query = prefix is { Length: > 0 }
            ? new QueryDefinition("SELECT VALUE c.id FROM c WHERE c.store_id = @store AND (STARTSWITH(c.id, @prefix) OR STARTSWITH(c.id, @encoded))")
                .WithParameter("@prefix", prefix)
                .WithParameter("@encoded", CosmosDocuments.EncodedIdPrefix)
            : new QueryDefinition("SELECT VALUE c.id FROM c WHERE c.store_id = @store");
        query = query.WithParameter("@store", StoreId);
        var ids = container.Run("list-keys", Label, token => QueryAsync(query, token));
        var keys = ids.Select(id => CosmosDocuments.KeyOf(id.GetString()!))
            .Where(key => afterStart
                ? Utf8KeyComparer.Instance.Compare(key, start) > 0
                : Utf8KeyComparer.Instance.Compare(key, start) >= 0)
            .Order(Utf8KeyComparer.Instance);
        return KeyPages.Collect(keys, prefix, limit);
    }

    public IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var ids = keys.Select(CosmosDocuments.IdOf).Distinct(StringComparer.Ordinal).ToArray();
        if (ids.Length == 0)
        {
            return [];
        }

        // Point reads, several in flight at once: cheaper than a query per key set on the service, and the SDK's
        // ReadMany needs a query plan that a local server's gateway does not give.
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        container.Run("get-many", Label, token => ForEachAsync(ids, async id =>
        {
            if (await ReadAsync(id, token).ConfigureAwait(false) is { } document)
            {
                var value = CosmosDocuments.ValueOf(document.Value, container.Description);
                lock (found)
                {
                    found[id] = value;
                }
            }

            return 1;
        }));

        var result = new KeyValuePair<string, byte[]?>[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            result[i] = new(keys[i], found.GetValueOrDefault(CosmosDocuments.IdOf(keys[i])));
        }

        return result;
    }

    public void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items)
    {
        ArgumentNullException.ThrowIfNull(items);

        // A key given twice ends with its last value: only that one is written, since the writes run concurrently.
        var last = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            last[CosmosDocuments.IdOf(item.Key)] = item.Value ?? throw new ArgumentException("a value is null", nameof(items));
        }

        if (last.Count > 0)
        {
            // Transactional batches are not used: a local server cannot read the SDK's binary batch format.
            container.Run("set-many", Label, token => ForEachAsync(last, pair => UpsertAsync(pair.Key, pair.Value, token)));
        }
    }

    public void DeleteMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var ids = keys.Select(CosmosDocuments.IdOf).Distinct(StringComparer.Ordinal).ToArray();
        if (ids.Length > 0)
        {
            container.Run("delete-many", Label, token => ForEachAsync(ids, id => RemoveAsync(id, token)));
        }
    }

    public long Increment(string key, long delta)
    {
        var id = CosmosDocuments.IdOf(key);

        // Read, add, and write back only if the document's ETag is unchanged (or create it only if still absent);
        // a concurrent write makes the write fail, and the increment starts over. The counter is written as a JSON
        // integer, as Spin's increment writes it.
        while (true)
        {
            var found = container.Run("increment", Label, token => ReadAsync(id, token));
            var current = found is { } document ? CosmosDocuments.CounterOf(document.Value, key, container.Description) : 0;
            var etag = found?.ETag;
            var next = CounterEncoding.Add(key, current, delta);
            if (container.Run("increment", Label, token => WriteIfAsync(id, etag, CosmosDocuments.WriteCounter(id, StoreId, next), token)))
            {
                return next;
            }
        }
    }

    public VersionedValue GetVersioned(string key)
    {
        var id = CosmosDocuments.IdOf(key);

        // The service gives every write of a document a new ETag, so A, B, A never looks unchanged.
        return container.Run("cas-current", Label, async token =>
            await ReadAsync(id, token).ConfigureAwait(false) is { } found
                ? new VersionedValue(CosmosDocuments.ValueOf(found.Value, container.Description), found.ETag)
                : default);
    }

    public bool TrySwap(string key, string? expectedVersion, byte[] value)
    {
        var id = CosmosDocuments.IdOf(key);
        ArgumentNullException.ThrowIfNull(value);
        return container.Run("cas-swap", Label, token => WriteIfAsync(id, expectedVersion, CosmosDocuments.Write(id, StoreId, value, base64), token));
    }

    /// <summary>Reads one document's value and ETag with a point read (one request unit for a small document).</summary>
    private async Task<(JsonElement Value, string ETag)?> ReadAsync(string id, CancellationToken token)
    {
        using var response = await Items.ReadItemStreamAsync(id, _partition, container.ReadOptions, token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        container.ThrowUnlessSuccess(response, "read", Label);
        using var document = await JsonDocument.ParseAsync(response.Content, cancellationToken: token).ConfigureAwait(false);
        var value = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("value", out var found)
            ? found.Clone()
            : default;
        return (value, response.Headers.ETag);
    }

    private static async Task<int> ForEachAsync<T>(IEnumerable<T> items, Func<T, Task<int>> write)
    {
        using var slots = new SemaphoreSlim(BatchParallelism);
        var writes = items.Select(async item =>
        {
            await slots.WaitAsync().ConfigureAwait(false);
            try
            {
                return await write(item).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        }).ToArray();
        await Task.WhenAll(writes).ConfigureAwait(false);
        return writes.Length;
    }

    private async Task<int> UpsertAsync(string id, byte[] value, CancellationToken token)
    {
        using var document = CosmosDocuments.Write(id, StoreId, value, base64);
        using var response = await Items.UpsertItemStreamAsync(document, _partition, cancellationToken: token).ConfigureAwait(false);
        container.ThrowUnlessSuccess(response, "set", Label);
        return 1;
    }

    private async Task<int> RemoveAsync(string id, CancellationToken token)
    {
        using var response = await Items.DeleteItemStreamAsync(id, _partition, cancellationToken: token).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            container.ThrowUnlessSuccess(response, "delete", Label);
        }

        return 1;
    }

    /// <summary>
    /// Replaces the document only while its ETag is <paramref name="etag"/>, or creates it only while it is absent
    /// (<paramref name="etag"/> <see langword="null"/>). False when another write came first.
    /// </summary>
    private async Task<bool> WriteIfAsync(string id, string? etag, MemoryStream document, CancellationToken token)
    {
        using (document)
        {
            using var response = etag is null
                ? await Items.CreateItemStreamAsync(document, _partition, cancellationToken: token).ConfigureAwait(false)
                : await Items.ReplaceItemStreamAsync(document, id, _partition, new ItemRequestOptions { IfMatchEtag = etag }, token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
            {
                return false;
            }

            container.ThrowUnlessSuccess(response, etag is null ? "create" : "replace", Label);
            return true;
        }
    }

    private async Task<List<JsonElement>> QueryAsync(QueryDefinition query, CancellationToken token)
    {
        var results = new List<JsonElement>();
        using var iterator = Items.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { PartitionKey = _partition, MaxItemCount = 1000 });
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(token).ConfigureAwait(false);
            container.ThrowUnlessSuccess(response, "query", Label);
            using var page = await JsonDocument.ParseAsync(response.Content, cancellationToken: token).ConfigureAwait(false);
            if (page.RootElement.TryGetProperty("Documents", out var documents))
            {
                foreach (var document in documents.EnumerateArray())
                {
                    results.Add(document.Clone());
                }
            }
        }

        return results;
    }
}
