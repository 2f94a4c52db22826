using System.CommandLine;
using Spindle.Configuration;
using Spindle.Core;
using Spindle.Sqlite;

namespace Spindle.Cli;

/// <summary>
/// The options that locate an application and its stores, shared by <c>spindle up</c> and <c>spindle kv</c> so both
/// resolve stores the same way.
/// </summary>
internal sealed class AppOptions
{
    public Option<string> From { get; } = new("--from", "-f")
    {
        Description = "The application: a spin.toml, or a folder containing one (default: the current folder)",
        DefaultValueFactory = _ => ".",
    };

    public Option<string?> RuntimeConfigFile { get; } = new("--runtime-config-file")
    {
        Description = "Runtime config TOML defining key-value stores (default: $RUNTIME_CONFIG_FILE)",
    };

    public Option<string?> StateDir { get; } = new("--state-dir")
    {
        Description = "Folder for the default store's sqlite_key_value.db (default: .spin beside spin.toml; \"\" keeps it in memory)",
    };

    public Option<int> MaxKeyBytes { get; } = new("--max-key-bytes")
    {
        Description = "Largest key accepted, in UTF-8 bytes",
        DefaultValueFactory = _ => KeyValueLimits.DefaultMaxKeyBytes,
    };

    public Option<int> MaxValueBytes { get; } = new("--max-value-bytes")
    {
        Description = "Largest value accepted, in bytes",
        DefaultValueFactory = _ => KeyValueLimits.DefaultMaxValueBytes,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(From);
        command.Options.Add(RuntimeConfigFile);
        command.Options.Add(StateDir);
        command.Options.Add(MaxKeyBytes);
        command.Options.Add(MaxValueBytes);
    }

    /// <summary>Loads the manifest (if any) and runtime config and opens every store.</summary>
    /// <exception cref="ConfigurationException">Anything the user must fix.</exception>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="requiredLabel">A label the command needs; checked before any store is opened or created.</param>
    public LoadedApp Load(ParseResult parse, string? requiredLabel = null)
    {
        var from = Path.GetFullPath(parse.GetValue(From) ?? ".");
        AppManifest? manifest = null;
        string appDirectory;
        if (File.Exists(from))
        {
            manifest = AppManifest.Load(from);
            appDirectory = manifest.Directory;
        }
        else if (Directory.Exists(from))
        {
            appDirectory = from;
            if (File.Exists(Path.Combine(from, AppManifest.FileName)))
            {
                manifest = AppManifest.Load(from);
            }
        }
        else
        {
            throw new ConfigurationException(null, "--from", $"'{from}' does not exist; pass a spin.toml or the folder that holds it");
        }

        var runtimeConfigPath = parse.GetValue(RuntimeConfigFile);
        if (string.IsNullOrEmpty(runtimeConfigPath))
        {
            runtimeConfigPath = Environment.GetEnvironmentVariable("RUNTIME_CONFIG_FILE");
        }

        var runtimeConfig = string.IsNullOrEmpty(runtimeConfigPath) ? RuntimeConfig.Empty : RuntimeConfig.Load(runtimeConfigPath);
        if (requiredLabel is not null && requiredLabel != StoreLabel.Default && !runtimeConfig.Stores.Any(s => s.Label == requiredLabel))
        {
            var defined = string.Join(", ", runtimeConfig.Stores.Select(s => s.Label).Append(StoreLabel.Default).Distinct().Order(StringComparer.Ordinal));
            var fix = runtimeConfig.FilePath is null
                ? $"define it as [key_value_store.{requiredLabel}] in a runtime config passed with --runtime-config-file"
                : $"define it as [key_value_store.{requiredLabel}] in {runtimeConfig.FilePath}";
            throw new ConfigurationException(null, "--store", $"no store is labelled '{requiredLabel}' (defined: {defined}); {fix}");
        }

        var maxKey = parse.GetValue(MaxKeyBytes);
        var maxValue = parse.GetValue(MaxValueBytes);
        if (maxKey <= 0 || maxValue <= 0)
        {
            throw new ConfigurationException(null, maxKey <= 0 ? "--max-key-bytes" : "--max-value-bytes", "must be a positive number of bytes");
        }

        var provider = new SqliteStoreProvider();
        try
        {
            var stores = StoreConfiguration.Build(new StoreSetup
            {
                Providers = [provider, new InMemoryStoreProvider()],
                RuntimeConfig = runtimeConfig,
                StateDirFlag = parse.GetValue(StateDir),
                AppDirectory = appDirectory,
                Limits = new KeyValueLimits { MaxKeyBytes = maxKey, MaxValueBytes = maxValue },
            });
            try
            {
                manifest?.CheckStoreLabels(stores.Registry.Labels, runtimeConfig.FilePath);
            }
            catch
            {
                stores.Dispose();
                throw;
            }

            return new LoadedApp(manifest, runtimeConfig, stores, provider);
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }
}

/// <summary>An application's manifest and open stores; disposing closes them.</summary>
internal sealed class LoadedApp(AppManifest? manifest, RuntimeConfig runtimeConfig, ConfiguredStores stores, IDisposable providers) : IDisposable
{
    public AppManifest? Manifest => manifest;

    public RuntimeConfig RuntimeConfig => runtimeConfig;

    public ConfiguredStores Stores => stores;

    public void Dispose()
    {
        stores.Dispose();
        providers.Dispose();
    }
}
