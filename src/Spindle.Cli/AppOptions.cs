using System.CommandLine;
using Spindle.Configuration;
using Spindle.Core;
using Spindle.Cosmos;
using Spindle.DynamoDb;
using Spindle.Postgres;
using Spindle.Redis;
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

    /// <summary>Largest <c>--max-key-bytes</c>: keys are names, and a guest's host buffer for one key list is bounded.</summary>
    public const int MaxKeyBytesLimit = 1024 * 1024;

    /// <summary>Largest <c>--max-value-bytes</c>: every value passes through one host buffer and guest memory.</summary>
    public const int MaxValueBytesLimit = 128 * 1024 * 1024;

    /// <summary>
    /// Reads what decides the stores (manifest, runtime config, state folder, limits) without opening or creating
    /// anything, so a command can check everything before it writes (issue #6: failed starts left files behind).
    /// </summary>
    /// <exception cref="ConfigurationException">Anything the user must fix.</exception>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="requiredLabel">A label the command needs; checked before any store is opened or created.</param>
    /// <param name="manifestRequired">Whether a <c>spin.toml</c> must be found (<c>spindle up</c>).</param>
    /// <param name="variables">
    /// The application variables' values by name, for a command that needs every variable the manifest uses
    /// (<c>spindle up</c>); without it, what uses a variable that has no default is left out.
    /// </param>
    public AppSetup Resolve(ParseResult parse, string? requiredLabel = null, bool manifestRequired = false, Func<string, string?>? variables = null)
    {
        var maxKey = InRange(parse.GetValue(MaxKeyBytes), 1, MaxKeyBytesLimit, "--max-key-bytes", "bytes");
        var maxValue = InRange(parse.GetValue(MaxValueBytes), 1, MaxValueBytesLimit, "--max-value-bytes", "bytes");

        var fromText = parse.GetValue(From) ?? ".";
        if (fromText.Length == 0 || !CommandLineBytes.IsText(fromText))
        {
            throw new ConfigurationException(null, "--from", "must be the path of a spin.toml or of the folder that holds it");
        }

        var from = Path.GetFullPath(fromText);
        AppManifest? manifest = null;
        string appDirectory;
        if (Directory.Exists(from))
        {
            appDirectory = from;
            if (File.Exists(Path.Combine(from, AppManifest.FileName)) || manifestRequired)
            {
                manifest = AppManifest.Load(from, variables);
            }
        }
        else if (File.Exists(from))
        {
            manifest = AppManifest.Load(from, variables);
            appDirectory = manifest.Directory;
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

        if (!string.IsNullOrEmpty(runtimeConfigPath) && Directory.Exists(runtimeConfigPath))
        {
            throw new ConfigurationException(null, "--runtime-config-file", $"'{Path.GetFullPath(runtimeConfigPath)}' is a folder; pass the runtime config TOML file itself");
        }

        var runtimeConfig = string.IsNullOrEmpty(runtimeConfigPath) ? RuntimeConfig.Empty : RuntimeConfig.Load(runtimeConfigPath);
        var labels = runtimeConfig.Stores.Select(s => s.Label).Append(StoreLabel.Default).Distinct().Order(StringComparer.Ordinal).ToList();
        if (requiredLabel is not null && !labels.Contains(requiredLabel))
        {
            var fix = runtimeConfig.FilePath is null
                ? $"define it as [key_value_store.{requiredLabel}] in a runtime config passed with --runtime-config-file"
                : $"define it as [key_value_store.{requiredLabel}] in {runtimeConfig.FilePath}";
            throw new ConfigurationException(null, "--store", $"no store is labelled '{requiredLabel}' (defined: {string.Join(", ", labels)}); {fix}");
        }

        manifest?.CheckStoreLabels(labels, runtimeConfig.FilePath);

        var stateDir = parse.GetValue(StateDir);
        if (stateDir is { Length: > 0 } && (File.Exists(stateDir) || !CommandLineBytes.IsText(stateDir)))
        {
            throw new ConfigurationException(null, "--state-dir", $"'{Path.GetFullPath(stateDir)}' is not a folder; pass a folder for sqlite_key_value.db (it is created if missing), or \"\" to keep the default store in memory");
        }

        var setup = new StoreSetup
        {
            Providers = [],
            RuntimeConfig = runtimeConfig,
            StateDirFlag = stateDir,
            AppDirectory = appDirectory,
            Limits = new KeyValueLimits { MaxKeyBytes = maxKey, MaxValueBytes = maxValue },
        };
        return new AppSetup(manifest, runtimeConfig, setup, labels);
    }

    /// <summary>Opens every store of <paramref name="setup"/> (creating the default store's file if needed).</summary>
    /// <exception cref="ConfigurationException">A store cannot be opened.</exception>
    public static LoadedApp Open(AppSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var provider = new SqliteStoreProvider();
        var redis = new RedisStoreProvider();
        var postgres = new PostgresStoreProvider();
        var dynamo = new DynamoStoreProvider();
        var cosmos = new CosmosStoreProvider();
        try
        {
            // Every backend this build serves; each replaces Configuration's placeholder for its type.
            var stores = StoreConfiguration.Build(setup.Stores with { Providers = [provider, redis, postgres, dynamo, cosmos, new InMemoryStoreProvider()] });
            return new LoadedApp(setup.Manifest, setup.RuntimeConfig, stores, [provider, redis, postgres, dynamo, cosmos]);
        }
        catch
        {
            provider.Dispose();
            redis.Dispose();
            postgres.Dispose();
            dynamo.Dispose();
            cosmos.Dispose();
            throw;
        }
    }

    /// <summary>Resolves and opens in one step, for commands that check nothing in between.</summary>
    public LoadedApp Load(ParseResult parse, string? requiredLabel = null) => Open(Resolve(parse, requiredLabel));

    internal static int InRange(int value, int min, int max, string flag, string unit) =>
        value >= min && value <= max ? value : throw new ConfigurationException(null, flag, $"must be between {min} and {max} {unit}, not {value}");
}

/// <summary>An application's manifest and runtime config, checked, with nothing opened yet.</summary>
internal sealed record AppSetup(AppManifest? Manifest, RuntimeConfig RuntimeConfig, StoreSetup Stores, IReadOnlyList<string> Labels);

/// <summary>An application's manifest and open stores; disposing closes them.</summary>
internal sealed class LoadedApp(AppManifest? manifest, RuntimeConfig runtimeConfig, ConfiguredStores stores, IReadOnlyList<IDisposable> providers) : IDisposable
{
    public AppManifest? Manifest => manifest;

    public RuntimeConfig RuntimeConfig => runtimeConfig;

    public ConfiguredStores Stores => stores;

    public void Dispose()
    {
        stores.Dispose();
        foreach (var provider in providers)
        {
            provider.Dispose();
        }
    }
}
