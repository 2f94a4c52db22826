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
            string? defaultDescription = null;
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
                registry.Add(store.Label, Create(provider, options, store.Label, config.BaseDirectory, store.FilePath));
                if (store.Label == StoreLabel.Default)
                {
                    defaultDescription = $"[key_value_store.default] (type \"{store.Type}\") in \"{store.FilePath}\"";
                }
            }

            if (defaultDescription is null)
            {
                var path = stateDirectory is null ? null : Path.Combine(stateDirectory, DefaultStoreFileName);
                var defaultStore = new StoreDefinition(
                    StoreLabel.Default,
                    "spin",
                    path is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["path"] = path },
                    null);
                var provider = providers["spin"];
                var options = OptionsBinder.Bind(provider.OptionsType, defaultStore);
                registry.Add(StoreLabel.Default, Create(provider, options, StoreLabel.Default, Directory.GetCurrentDirectory(), null));
                defaultDescription = path is null ? "a temporary in-memory store" : $"\"{path}\"";
            }

            return new ConfiguredStores(registry, stateDirectory, defaultDescription);
        }
        catch
        {
            registry.Dispose();
            throw;
        }
    }

    private static IKeyValueStoreManager Create(IKeyValueStoreProvider provider, object options, string label, string baseDirectory, string? filePath)
    {
        try
        {
            return provider.Create(options, new StoreProviderContext(label, baseDirectory));
        }
        catch (KeyValueException ex)
        {
            var key = filePath is null ? null : $"key_value_store.{label}";
            throw new ConfigurationException(filePath, key, $"could not open key-value store '{label}': {ex.Message}", ex);
        }
    }
}
