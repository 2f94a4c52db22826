using Tomlyn.Model;

namespace Spindle.Configuration;

/// <summary>
/// A Spin runtime-config file (<c>--runtime-config-file</c>): the <c>state_dir</c> and the
/// <c>[key_value_store.&lt;label&gt;]</c> tables. Other sections Spin knows are accepted and ignored here; any other
/// top-level key is an error, as in Spin.
/// </summary>
public sealed class RuntimeConfig
{
    // Sections Spin's runtime config defines that other parts of Spindle (or no part yet) handle.
    private static readonly string[] KnownTopLevelKeys =
    [
        "state_dir", "key_value_store", "sqlite_database", "llm_compute", "variables_provider", "config_provider",
        "outbound_networking", "client_tls", "otel",
    ];

    private RuntimeConfig(string? filePath, string? stateDir, IReadOnlyList<StoreDefinition> stores)
    {
        FilePath = filePath;
        StateDir = stateDir;
        Stores = stores;
    }

    /// <summary>No runtime config: the default store only.</summary>
    public static RuntimeConfig Empty { get; } = new(null, null, []);

    /// <summary>The file read, or <see langword="null"/> for <see cref="Empty"/>.</summary>
    public string? FilePath { get; }

    /// <summary>The folder relative paths in this file are resolved against.</summary>
    public string BaseDirectory => FilePath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(FilePath)!;

    /// <summary>
    /// <c>state_dir</c> as written: <see langword="null"/> when absent, empty when set to <c>""</c> (meaning no state
    /// directory: the default store is in memory).
    /// </summary>
    public string? StateDir { get; }

    /// <summary>The configured stores, in file order.</summary>
    public IReadOnlyList<StoreDefinition> Stores { get; }

    /// <summary>Reads and checks the file at <paramref name="path"/>.</summary>
    /// <exception cref="ConfigurationException">The file cannot be read or is not a valid runtime config.</exception>
    public static RuntimeConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new ConfigurationException(fullPath, null, "runtime config file not found; check the --runtime-config-file path");
        }

        return FromTable(TomlFile.Read(fullPath, "runtime config", "pass a runtime config TOML file with --runtime-config-file"), fullPath);
    }

    /// <summary>Parses runtime-config TOML text as if read from <paramref name="path"/>.</summary>
    public static RuntimeConfig Parse(string toml, string path)
    {
        ArgumentNullException.ThrowIfNull(toml);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        return FromTable(TomlFile.Parse(toml, fullPath, "runtime config"), fullPath);
    }

    private static RuntimeConfig FromTable(TomlTable root, string path)
    {
        TomlFile.RejectUnknownKeys(root, KnownTopLevelKeys, path, null);
        var stateDir = TomlFile.OptionalString(root, "state_dir", path, "state_dir");
        var stores = new List<StoreDefinition>();
        var section = TomlFile.OptionalTable(root, "key_value_store", path, "key_value_store");
        if (section is not null)
        {
            foreach (var (label, value) in section)
            {
                var keyPath = $"key_value_store.{label}";
                if (!StoreLabel.IsValid(label))
                {
                    // Spin accepts any label here, but no manifest can name an invalid one, so it would be dead weight
                    // at best and a `spindle kv -s` target no app can reach at worst (issue #6).
                    throw new ConfigurationException(
                        path,
                        keyPath,
                        $"'{label}' is not a valid store label; use kebab-case or snake_case words of ASCII letters and digits, each starting with a letter (for example \"default\" or \"user-data\")");
                }

                if (value is not TomlTable table)
                {
                    throw new ConfigurationException(path, keyPath, $"must be a table such as [{keyPath}] with type = \"spin\", not {TomlFile.Describe(value)}");
                }

                var type = TomlFile.RequiredString(table, "type", path, $"{keyPath}.type", "add type = \"spin\", \"redis\", \"azure_cosmos\" or \"aws_dynamo\"");
                var options = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (key, option) in table)
                {
                    if (key != "type")
                    {
                        options.Add(key, option);
                    }
                }

                stores.Add(new StoreDefinition(label, type, options, path));
            }
        }

        return new RuntimeConfig(path, stateDir, stores);
    }
}

/// <summary>One <c>[key_value_store.&lt;label&gt;]</c> table.</summary>
/// <param name="Label">The store label.</param>
/// <param name="Type">The backend type, for example <c>spin</c> or <c>redis</c>.</param>
/// <param name="Options">Every other key of the table, as parsed TOML values.</param>
/// <param name="FilePath">The runtime-config file it came from, for messages.</param>
public sealed record StoreDefinition(string Label, string Type, IReadOnlyDictionary<string, object?> Options, string? FilePath);
