using Spindle.Core;

namespace Spindle.Cosmos;

/// <summary>The stores of one <c>[key_value_store.&lt;label&gt;]</c> table: one container, one app id.</summary>
internal sealed class CosmosStoreManager(CosmosContainer container, string? appId, bool base64) : IKeyValueStoreManager
{
    public IKeyValueStore Open(string label)
    {
        ArgumentNullException.ThrowIfNull(label);

        // The first open checks the container (bounded by the deadline); a container that is missing or partitioned
        // otherwise fails the open with a message that says how to fix it.
        container.EnsureChecked(label);
        return new CosmosStore(container, label, StoreIdOf(appId, label), base64);
    }

    /// <summary>The <c>store_id</c> of a label: Spin's <c>&lt;app_id&gt;/&lt;label&gt;</c>, or the label alone.</summary>
    public static string StoreIdOf(string? appId, string label) => appId is null ? label : $"{appId}/{label}";
}
