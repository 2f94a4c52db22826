using Spindle.Core;

namespace Spindle.DynamoDb;

/// <summary>
/// Runtime-config type <c>aws_dynamo</c>: Amazon DynamoDB (or a compatible server at <c>endpoint</c>) through the AWS
/// SDK for .NET. Labels configured with the same options share one client and one table, their items told apart by
/// the partition key, which is the label.
/// </summary>
public sealed class DynamoStoreProvider : KeyValueStoreProvider<DynamoStoreOptions>, IDisposable
{
    private readonly Dictionary<DynamoStoreOptions, DynamoTable> _tables = [];
    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public override string Type => "aws_dynamo";

    /// <inheritdoc/>
    /// <remarks>Sends nothing: the first call of a store looks for the table and creates it when missing.</remarks>
    public override IKeyValueStoreManager Create(DynamoStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        lock (_gate)
        {
            // Creating the client opens no connection, so holding the lock here never waits on the network.
            if (!_tables.TryGetValue(options, out var table))
            {
                table = new DynamoTable(options);
                _tables[options] = table;
            }

            return table;
        }
    }

    /// <inheritdoc/>
    public override StoreLocation Describe(DynamoStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        return new StoreLocation(DynamoTable.Describe(options), IsTemporary: false);
    }

    /// <summary>Closes every client this provider created.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var table in _tables.Values)
            {
                table.Dispose();
            }

            _tables.Clear();
        }
    }
}
