namespace Spindle.Core;

/// <summary>
/// Creates store managers of one runtime-config <c>type</c> (for example <c>spin</c> or <c>redis</c>) from that type's
/// options. The configuration layer binds <c>[key_value_store.&lt;label&gt;]</c> tables to <see cref="OptionsType"/>.
/// </summary>
/// <remarks>Implement <see cref="KeyValueStoreProvider{TOptions}"/> rather than this interface.</remarks>
public interface IKeyValueStoreProvider
{
    /// <summary>The runtime-config <c>type</c> this provider serves.</summary>
    string Type { get; }

    /// <summary>
    /// The options record. Its constructor parameters are the TOML keys in snake_case (<c>ConsistentRead</c> is
    /// <c>consistent_read</c>); a parameter with a default value is optional.
    /// </summary>
    Type OptionsType { get; }

    /// <summary>Creates a manager from options of type <see cref="OptionsType"/>.</summary>
    IKeyValueStoreManager Create(object options, StoreProviderContext context);

    /// <summary>Where a store with these options keeps its data, for start-up messages; opens nothing.</summary>
    StoreLocation Describe(object options, StoreProviderContext context);
}

/// <summary>Base class of every backend's provider.</summary>
/// <typeparam name="TOptions">A record whose constructor parameters are the type's TOML keys.</typeparam>
public abstract class KeyValueStoreProvider<TOptions> : IKeyValueStoreProvider
    where TOptions : class
{
    /// <inheritdoc/>
    public abstract string Type { get; }

    /// <inheritdoc/>
    public Type OptionsType => typeof(TOptions);

    /// <summary>Creates a manager for the store described by <paramref name="options"/>.</summary>
    /// <exception cref="KeyValueException">The options are unusable (for example a path that cannot be created).</exception>
    public abstract IKeyValueStoreManager Create(TOptions options, StoreProviderContext context);

    /// <summary>
    /// Where a store with <paramref name="options"/> keeps its data. The default names the type only; backends
    /// override it to name the file or server, and to say when the data is lost at exit.
    /// </summary>
    public virtual StoreLocation Describe(TOptions options, StoreProviderContext context) =>
        new($"a \"{Type}\" store", IsTemporary: false);

    IKeyValueStoreManager IKeyValueStoreProvider.Create(object options, StoreProviderContext context) =>
        Create((TOptions)options, context);

    StoreLocation IKeyValueStoreProvider.Describe(object options, StoreProviderContext context) =>
        Describe((TOptions)options, context);
}

/// <summary>Where a store keeps its data.</summary>
/// <param name="Description">
/// Worded to follow "Storing default key-value data to ": a quoted file path, <c>a temporary in-memory store</c>, ...
/// </param>
/// <param name="IsTemporary">Whether the data is lost when the process exits.</param>
public sealed record StoreLocation(string Description, bool IsTemporary)
{
    /// <summary>A store held in process memory only.</summary>
    public static StoreLocation InMemory { get; } = new("a temporary in-memory store", IsTemporary: true);
}

/// <summary>What a provider may need besides its options.</summary>
/// <param name="Label">The label being configured, for messages.</param>
/// <param name="BaseDirectory">
/// The folder relative paths in the options are resolved against: the runtime-config file's folder.
/// </param>
public sealed record StoreProviderContext(string Label, string BaseDirectory);

/// <summary>Options of the in-memory type; it has none.</summary>
public sealed record InMemoryStoreOptions;

/// <summary>Runtime-config type <c>memory</c>: a Spindle addition that keeps a label's data in process memory.</summary>
public sealed class InMemoryStoreProvider : KeyValueStoreProvider<InMemoryStoreOptions>
{
    /// <inheritdoc/>
    public override string Type => "memory";

    /// <inheritdoc/>
    public override IKeyValueStoreManager Create(InMemoryStoreOptions options, StoreProviderContext context) =>
        new InMemoryStoreManager();

    /// <inheritdoc/>
    public override StoreLocation Describe(InMemoryStoreOptions options, StoreProviderContext context) => StoreLocation.InMemory;
}
