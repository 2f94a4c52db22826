using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Spindle.Core;
using static Spindle.DynamoDb.DynamoItems;

namespace Spindle.DynamoDb;

/// <summary>One label's items in the table (partition key value = the label); layout in <see cref="DynamoItems"/>.</summary>
/// <remarks>
/// A write of a large value puts its parts first and then the head that names them, so a reader that finds a head
/// finds its parts; the parts of the value a write replaced are deleted after it. Reads of parts are always strongly
/// consistent, and a reader whose parts were deleted meanwhile (the value changed) reads the head again.
/// </remarks>
internal sealed class DynamoStore(DynamoTable table, string label) : IKeyValueStore
{
    /// <summary>BatchGetItem's limit on keys per request.</summary>
    internal const int BatchGetLimit = 100;

    /// <summary>BatchWriteItem's limit on requests per call.</summary>
    internal const int BatchWriteLimit = 25;

    /// <summary>The most items one list-keys Query asks for; a larger page takes several (DynamoDB stops at 1 MB anyway).</summary>
    internal const int MaxQueryItems = 1000;

    private enum Condition
    {
        None,
        IfAbsent,
        IfVersion,
    }

    public string Label { get; } = label;

    private AmazonDynamoDBClient Client => table.Client;

    private string Table => table.TableName;

    private bool Consistent => table.Options.ConsistentRead;

    public byte[]? Get(string key)
    {
        var sortKey = HeadSortKey(key);
        return table.Run("get", Label, token => Read(sortKey, Consistent, token).Value);
    }

    public void Set(string key, byte[] value)
    {
        var sortKey = HeadSortKey(key);
        ArgumentNullException.ThrowIfNull(value);
        table.Run("set", Label, token => Write(sortKey, value, Condition.None, null, token));
    }

    public void Delete(string key)
    {
        var sortKey = HeadSortKey(key);
        table.Run("delete", Label, token =>
        {
            var request = new DeleteItemRequest { TableName = Table, Key = Key(Label, sortKey), ReturnValues = ReturnValue.ALL_OLD };
            var old = DynamoTable.Await(Client.DeleteItemAsync(request, token), token);
            DeletePartsQuietly([Head.From(old.Attributes)], token);
            return 0;
        });
    }

    public bool Exists(string key)
    {
        var sortKey = HeadSortKey(key);
        return table.Run("exists", Label, token =>
        {
            var request = new GetItemRequest
            {
                TableName = Table,
                Key = Key(Label, sortKey),
                ConsistentRead = Consistent,
                ProjectionExpression = "#sk",
                ExpressionAttributeNames = new() { ["#sk"] = SortKey },
            };
            return DynamoTable.Await(Client.GetItemAsync(request, token), token).Item is { Count: > 0 };
        });
    }

    public KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var (start, afterStart) = KeyPages.Start(prefix, cursor);
        if (System.Text.Encoding.UTF8.GetByteCount(prefix ?? start) > MaxKeyBytes || (afterStart && prefix is not null && !start.StartsWith(prefix, StringComparison.Ordinal)))
        {
            // No key is that long, or the cursor is already past every key with the prefix.
            return new KeyPage([], null);
        }

        var from = HeadSortKey(start);
        var to = AfterHeads();
        if (prefix is { Length: > 0 } && HeadSortKey(prefix) is { Length: < MaxSortKeyBytes } prefixSortKey)
        {
            // UTF-8 never contains 0xFF, so the prefix followed by it sorts after every key with the prefix.
            to = [.. prefixSortKey, 0xFF];
        }

        return table.Run("list-keys", Label, token =>
        {
            // Keyset paging in sort-key order: one Query from the page's start, a key more than the page (to know
            // whether another follows) plus the cursor's own key, continued while DynamoDB cuts the result short.
            var keys = new List<string>(Math.Min(limit, 1024) + 1);
            Dictionary<string, AttributeValue>? next = null;
            do
            {
                var request = new QueryRequest
                {
                    TableName = Table,
                    KeyConditionExpression = "#pk = :pk AND #sk BETWEEN :from AND :to",
                    ProjectionExpression = "#sk",
                    ExpressionAttributeNames = new() { ["#pk"] = PartitionKey, ["#sk"] = SortKey },
                    ExpressionAttributeValues = new() { [":pk"] = String(Label), [":from"] = Binary(from), [":to"] = Binary(to) },
                    ConsistentRead = Consistent,
                    Limit = (int)Math.Min(limit + 2L - keys.Count, MaxQueryItems),
                    ExclusiveStartKey = next,
                };
                var page = DynamoTable.Await(Client.QueryAsync(request, token), token);
                foreach (var item in page.Items ?? [])
                {
                    var sortKey = BytesOf(item[SortKey]);
                    if (afterStart && sortKey.AsSpan().SequenceEqual(from))
                    {
                        continue;
                    }

                    keys.Add(KeyOf(sortKey));
                }

                next = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
            }
            while (next is not null && keys.Count < limit + 1L);

            return KeyPages.Collect(keys, prefix, limit);
        });
    }

    public IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var sortKeys = keys.Select(HeadSortKey).ToArray();
        if (sortKeys.Length == 0)
        {
            return [];
        }

        return table.Run("get-many", Label, token =>
        {
            var heads = BatchGet(sortKeys, Consistent, projection: null, token);
            var result = new KeyValuePair<string, byte[]?>[keys.Count];
            for (var i = 0; i < result.Length; i++)
            {
                var head = Head.From(heads.GetValueOrDefault(Convert.ToHexString(sortKeys[i])));
                var value = head is null ? null : head.Value ?? ReadParts(head, token) ?? Read(sortKeys[i], true, token).Value;
                result[i] = new(keys[i], value);
            }

            return result;
        });
    }

    public void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var writes = new Dictionary<string, (byte[] SortKey, byte[] Value)>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var sortKey = HeadSortKey(item.Key);
            writes[Convert.ToHexString(sortKey)] = (sortKey, item.Value ?? throw new ArgumentException("a value is null", nameof(items)));
        }

        if (writes.Count == 0)
        {
            return;
        }

        table.Run("set-many", Label, token =>
        {
            // BatchWriteItem returns no old items, so the heads are read first to learn which old parts to delete.
            var old = BatchGet(writes.Values.Select(w => w.SortKey).ToArray(), consistent: true, "#sk, #ver, #n", token);
            var heads = new List<WriteRequest>(writes.Count);
            foreach (var (sortKey, value) in writes.Values)
            {
                var version = NewVersion();
                WriteParts(version, value, token);
                heads.Add(new WriteRequest { PutRequest = new PutRequest { Item = HeadItem(sortKey, version, value) } });
            }

            BatchWrite(heads, token);
            DeletePartsQuietly(old.Values.Select(Head.From), token);
            return 0;
        });
    }

    public void DeleteMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var sortKeys = keys.Select(HeadSortKey).DistinctBy(Convert.ToHexString).ToArray();
        if (sortKeys.Length == 0)
        {
            return;
        }

        table.Run("delete-many", Label, token =>
        {
            var old = BatchGet(sortKeys, consistent: true, "#sk, #ver, #n", token);
            BatchWrite([.. sortKeys.Select(sortKey => new WriteRequest { DeleteRequest = new DeleteRequest { Key = Key(Label, sortKey) } })], token);
            DeletePartsQuietly(old.Values.Select(Head.From), token);
            return 0;
        });
    }

    public long Increment(string key, long delta)
    {
        var sortKey = HeadSortKey(key);
        return table.Run("increment", Label, token =>
        {
            // Read, add, and write back only if no other write came in between (the version is unchanged); on a
            // conflict, again, until the call's deadline.
            for (var attempt = 0; ; attempt++)
            {
                DynamoTable.Backoff(attempt, token);
                var head = Read(sortKey, consistent: true, token).Head;

                // A value in parts is far longer than any decimal i64.
                var current = head is null ? 0 : CounterEncoding.Decode(key, head.Value ?? []);
                var next = CounterEncoding.Add(key, current, delta);
                if (Write(sortKey, CounterEncoding.Encode(next), head is null ? Condition.IfAbsent : Condition.IfVersion, head?.Version, token))
                {
                    return next;
                }
            }
        });
    }

    public VersionedValue GetVersioned(string key)
    {
        var sortKey = HeadSortKey(key);
        return table.Run("cas-current", Label, token =>
        {
            var (head, value) = Read(sortKey, consistent: true, token);
            return head is null ? default : new VersionedValue(value, VersionToken(head.Version));
        });
    }

    public bool TrySwap(string key, string? expectedVersion, byte[] value)
    {
        var sortKey = HeadSortKey(key);
        ArgumentNullException.ThrowIfNull(value);
        byte[]? version = null;
        if (expectedVersion is not null && (version = ParseVersionToken(expectedVersion)) is null)
        {
            return false; // not a token this backend issued, so it cannot match
        }

        return table.Run("cas-swap", Label, token =>
            Write(sortKey, value, version is null ? Condition.IfAbsent : Condition.IfVersion, version, token));
    }

    /// <summary>Reads a head and, when the value is in parts, the parts; again while the parts changed underneath.</summary>
    private (Head? Head, byte[]? Value) Read(byte[] sortKey, bool consistent, CancellationToken token)
    {
        for (var attempt = 0; ; attempt++)
        {
            DynamoTable.Backoff(attempt, token);
            var request = new GetItemRequest { TableName = Table, Key = Key(Label, sortKey), ConsistentRead = consistent || attempt > 0 };
            var head = Head.From(DynamoTable.Await(Client.GetItemAsync(request, token), token).Item);
            if (head is null)
            {
                return (null, null);
            }

            if ((head.Value ?? ReadParts(head, token)) is { } value)
            {
                return (head, value);
            }
        }
    }

    /// <summary>The value of a head kept in parts, or <see langword="null"/> when a part is gone (the value was replaced).</summary>
    private byte[]? ReadParts(Head head, CancellationToken token)
    {
        var sortKeys = Enumerable.Range(0, head.Parts).Select(i => PartSortKey(head.Version, i)).ToArray();
        var parts = BatchGet(sortKeys, consistent: true, projection: null, token);
        using var value = new MemoryStream();
        foreach (var sortKey in sortKeys)
        {
            if (!parts.TryGetValue(Convert.ToHexString(sortKey), out var part) || !part.TryGetValue(DynamoItems.Value, out var bytes))
            {
                return null;
            }

            bytes.B.WriteTo(value);
        }

        return value.ToArray();
    }

    /// <summary>
    /// Puts a head (after its parts), under <paramref name="condition"/>; deletes the replaced value's parts after.
    /// </summary>
    /// <returns>Whether the condition held and the value was written.</returns>
    private bool Write(byte[] sortKey, byte[] value, Condition condition, byte[]? expected, CancellationToken token)
    {
        var version = NewVersion();
        WriteParts(version, value, token);
        var request = new PutItemRequest { TableName = Table, Item = HeadItem(sortKey, version, value), ReturnValues = ReturnValue.ALL_OLD };
        if (condition == Condition.IfAbsent)
        {
            request.ConditionExpression = "attribute_not_exists(#sk)";
            request.ExpressionAttributeNames = new() { ["#sk"] = SortKey };
        }
        else if (condition == Condition.IfVersion)
        {
            request.ConditionExpression = "#ver = :ver";
            request.ExpressionAttributeNames = new() { ["#ver"] = DynamoItems.Version };
            request.ExpressionAttributeValues = new() { [":ver"] = Binary(expected!) };
        }

        PutItemResponse response;
        try
        {
            response = DynamoTable.Await(Client.PutItemAsync(request, token), token);
        }
        catch (ConditionalCheckFailedException)
        {
            DeletePartsQuietly([new Head(version, null, PartCount(value.Length))], token);
            return false;
        }

        DeletePartsQuietly([Head.From(response.Attributes)], token);
        return true;
    }

    private Dictionary<string, AttributeValue> HeadItem(byte[] sortKey, byte[] version, byte[] value)
    {
        var item = Key(Label, sortKey);
        item[DynamoItems.Version] = Binary(version);
        var parts = PartCount(value.Length);
        if (parts == 0)
        {
            item[DynamoItems.Value] = Binary(value);
        }
        else
        {
            item[Parts] = Number(parts);
        }

        return item;
    }

    private void WriteParts(byte[] version, byte[] value, CancellationToken token)
    {
        var parts = PartCount(value.Length);
        if (parts == 0)
        {
            return;
        }

        var requests = new List<WriteRequest>(parts);
        for (var i = 0; i < parts; i++)
        {
            var item = Key(Label, PartSortKey(version, i));
            item[DynamoItems.Value] = Binary(value.AsSpan(i * PartBytes, Math.Min(PartBytes, value.Length - (i * PartBytes))).ToArray());
            requests.Add(new WriteRequest { PutRequest = new PutRequest { Item = item } });
        }

        BatchWrite(requests, token);
    }

    /// <summary>
    /// Deletes the parts of replaced values. The write they belonged to is done, so a failure here (or the deadline)
    /// only leaves unreachable parts behind; it is not the caller's error.
    /// </summary>
    private void DeletePartsQuietly(IEnumerable<Head?> heads, CancellationToken token)
    {
        var requests = heads.OfType<Head>()
            .SelectMany(head => Enumerable.Range(0, head.Parts).Select(i => PartSortKey(head.Version, i)))
            .Select(sortKey => new WriteRequest { DeleteRequest = new DeleteRequest { Key = Key(Label, sortKey) } })
            .ToList();
        if (requests.Count == 0)
        {
            return;
        }

        try
        {
            BatchWrite(requests, token);
        }
        catch (Exception ex) when (ex is AmazonClientException or OperationCanceledException or HttpRequestException or IOException)
        {
            // left behind: see docs/semantics.md (DynamoDB)
        }
    }

    /// <summary>
    /// BatchGetItem in requests of at most <see cref="BatchGetLimit"/> distinct keys, each retried with its
    /// unprocessed keys (DynamoDB returns at most 16 MB per call) until done or the token fires.
    /// </summary>
    /// <returns>The items found, by the hex of their sort key.</returns>
    private Dictionary<string, Dictionary<string, AttributeValue>> BatchGet(
        IReadOnlyList<byte[]> sortKeys, bool consistent, string? projection, CancellationToken token)
    {
        var found = new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal);
        foreach (var chunk in sortKeys.DistinctBy(Convert.ToHexString).Chunk(BatchGetLimit))
        {
            var pending = new KeysAndAttributes { Keys = [.. chunk.Select(sortKey => Key(Label, sortKey))], ConsistentRead = consistent };
            if (projection is not null)
            {
                pending.ProjectionExpression = projection;
                pending.ExpressionAttributeNames = new() { ["#sk"] = SortKey, ["#ver"] = DynamoItems.Version, ["#n"] = Parts };
            }

            for (var attempt = 0; pending is { Keys.Count: > 0 };)
            {
                DynamoTable.Backoff(attempt, token);
                var request = new BatchGetItemRequest { RequestItems = new() { [Table] = pending } };
                var response = DynamoTable.Await(Client.BatchGetItemAsync(request, token), token);
                var items = response.Responses?.GetValueOrDefault(Table) ?? [];
                foreach (var item in items)
                {
                    found[Convert.ToHexString(BytesOf(item[SortKey]))] = item;
                }

                // Unprocessed keys come back when the answer would pass the size limit or throughput ran out: ask
                // for them again at once while some came through, and back off while none did.
                attempt = items.Count > 0 ? 0 : attempt + 1;
                pending = response.UnprocessedKeys?.GetValueOrDefault(Table);
            }
        }

        return found;
    }

    /// <summary>
    /// BatchWriteItem in requests of at most <see cref="BatchWriteLimit"/>, each retried with its unprocessed items
    /// until done or the token fires.
    /// </summary>
    private void BatchWrite(List<WriteRequest> requests, CancellationToken token)
    {
        foreach (var chunk in requests.Chunk(BatchWriteLimit))
        {
            List<WriteRequest> pending = [.. chunk];
            for (var attempt = 0; pending.Count > 0;)
            {
                DynamoTable.Backoff(attempt, token);
                var request = new BatchWriteItemRequest { RequestItems = new() { [Table] = pending } };
                var response = DynamoTable.Await(Client.BatchWriteItemAsync(request, token), token);
                var left = response.UnprocessedItems?.GetValueOrDefault(Table) ?? [];
                attempt = left.Count < pending.Count ? 0 : attempt + 1;
                pending = left;
            }
        }
    }
}
