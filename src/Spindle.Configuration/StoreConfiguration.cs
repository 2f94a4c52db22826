using Spindle.Core;

namespace Spindle.Configuration;

/// <summary>Builds the <see cref="StoreRegistry"/> a runtime config describes, including the built-in <c>default</c> store.</summary>
public static class StoreConfiguration
{
    /// <summary>The default store's file name inside the state folder, as in Spin.</summary>
    public const string DefaultStoreFileName = "sqlite_key_value.db";

    /// <summary>The default state folder's name beside <c>spin.toml</c>.</summary>
    public const string DefaultStateDirectoryName = ".spin";

    private static readonly IKeyValueStoreProvider[] SpinPlaceholders =
    [
        new UnavailableBackend("redis", typeof(RedisOptions)),
        new UnavailableBackend("azure_cosmos", typeof(AzureCosmosOptions)),
        new UnavailableBackend("aws_dynamo", typeof(AwsDynamoOptions)),
    ];

    /// <summary>
    /// Resolves the state folder: <c>--state-dir</c> if given (empty: none), else the runtime config's
    /// <c>state_dir</c> (relative to that file; empty: none), else <c>.spin/</c> in the application folder.
    /// </summary>
    public static string? ResolveStateDirectory(StoreSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        if (setup.StateDirFlag is not null)
        {
            return setup.StateDirFlag.Length == 0 ? null : Path.GetFullPath(setup.StateDirFlag);
        }

        var config = setup.RuntimeConfig;
        if (config.StateDir is not null)
        {
            return config.StateDir.Length == 0 ? null : Path.GetFullPath(config.StateDir, config.BaseDirectory);
        }

        return setup.AppDirectory is null ? null : Path.Combine(Path.GetFullPath(setup.AppDirectory), DefaultStateDirectoryName);
    }

    /// <summary>Creates every configured store's backend.</summary>
    /// <exception cref="ConfigurationException">An unknown type, bad options, or a backend that cannot be opened.</exception>
    public static ConfiguredStores Build(StoreSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var providers = new Dictionary<string, IKeyValueStoreProvider>(StringComparer.Ordinal);
        foreach (var provider in SpinPlaceholders.Concat(setup.Providers))
        {
            providers[provider.Type] = provider; // real providers replace placeholders
        }

        if (!providers.ContainsKey("spin"))
        {
            throw new ArgumentException("a provider for type \"spin\" is required for the default store", nameof(setup));
        }

        var stateDirectory = ResolveStateDirectory(setup);
        var registry = new StoreRegistry(setup.Limits);
        try
        {
            var config = setup.RuntimeConfig;
            var locations = new Dictionary<string, StoreLocation>(StringComparer.Ordinal);
            foreach (var store in config.Stores)
            {
                if (!providers.TryGetValue(store.Type, out var provider))
                {
                    throw new ConfigurationException(
                        store.FilePath,
                        $"key_value_store.{store.Label}.type",
                        $"unknown store type \"{store.Type}\"; use one of: {string.Join(", ", providers.Keys.Order(StringComparer.Ordinal))}");
                }

                var options = OptionsBinder.Bind(provider.OptionsType, store);
                var context = new StoreProviderContext(store.Label, config.BaseDirectory);
                registry.Add(store.Label, Create(provider, options, context, store.FilePath));
                locations[store.Label] = provider.Describe(options, context);
            }

            if (!locations.ContainsKey(StoreLabel.Default))
            {
                var path = stateDirectory is null ? null : Path.Combine(stateDirectory, DefaultStoreFileName);
                var defaultStore = new StoreDefinition(
                    StoreLabel.Default,
                    "spin",
                    path is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["path"] = path },
                    null);
                var provider = providers["spin"];
                var options = OptionsBinder.Bind(provider.OptionsType, defaultStore);
                var context = new StoreProviderContext(StoreLabel.Default, Directory.GetCurrentDirectory());
                registry.Add(StoreLabel.Default, Create(provider, options, context, null));
                locations[StoreLabel.Default] = provider.Describe(options, context);
            }

            return new ConfiguredStores(registry, stateDirectory, locations);
        }
        catch
        {
            registry.Dispose();
            throw;
        }
    }

    private static IKeyValueStoreManager Create(IKeyValueStoreProvider provider, object options, StoreProviderContext context, string? filePath)
    {
        try
        {
            return provider.Create(options, context);
        }
        catch (KeyValueException ex)
        {
            var key = filePath is null ? null : $"key_value_store.{context.Label}";
            throw new ConfigurationException(filePath, key, $"could not open key-value store '{context.Label}': {ex.Message}", ex);
        }
    }
}
