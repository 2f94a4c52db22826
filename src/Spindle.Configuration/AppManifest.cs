using Tomlyn.Model;

namespace Spindle.Configuration;

/// <summary>
/// A Spin application manifest (<c>spin.toml</c>), version 1 or 2, reduced to what Spindle serves: components, their
/// sources and store labels, and HTTP routes. Keys Spindle does not use are accepted, so any manifest Spin runs loads.
/// </summary>
public sealed class AppManifest
{
    /// <summary>The file name looked for when a folder is given.</summary>
    public const string FileName = "spin.toml";

    // Ids name log categories and appear in every message about the component; Spin sets no limit, 128 is ample.
    private const int MaxComponentIdLength = 128;

    private AppManifest(string filePath, int version, string name, IReadOnlyList<ComponentManifest> components, IReadOnlyList<HttpRouteManifest> routes)
    {
        FilePath = filePath;
        ManifestVersion = version;
        Name = name;
        Components = components;
        HttpRoutes = routes;
    }

    /// <summary>The manifest file.</summary>
    public string FilePath { get; }

    /// <summary>The folder holding the manifest: component sources and the default <c>.spin/</c> state folder are relative to it.</summary>
    public string Directory => Path.GetDirectoryName(FilePath)!;

    /// <summary>1 or 2.</summary>
    public int ManifestVersion { get; }

    /// <summary>The application name.</summary>
    public string Name { get; }

    /// <summary>The components, in file order.</summary>
    public IReadOnlyList<ComponentManifest> Components { get; }

    /// <summary>The HTTP triggers, in file order.</summary>
    public IReadOnlyList<HttpRouteManifest> HttpRoutes { get; }

    /// <summary>Reads a manifest file, or <c>spin.toml</c> in a folder.</summary>
    /// <exception cref="ConfigurationException">No such file, invalid TOML, or an invalid manifest.</exception>
    public static AppManifest Load(string fileOrFolder) => Load(fileOrFolder, null);

    /// <summary>
    /// Reads a manifest file, or <c>spin.toml</c> in a folder, resolving its application variables: each takes the value
    /// <paramref name="variables"/> gives for its name, else its <c>default</c>; a variable the manifest uses that has
    /// neither is an error. Without <paramref name="variables"/> (the other overload), what uses such a variable is left
    /// out instead: an <c>allowed_outbound_hosts</c> entry then allows nothing.
    /// </summary>
    /// <exception cref="ConfigurationException">No such file, invalid TOML, or an invalid manifest.</exception>
    public static AppManifest Load(string fileOrFolder, Func<string, string?>? variables)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileOrFolder);
        var path = Path.GetFullPath(fileOrFolder);
        if (System.IO.Directory.Exists(path))
        {
            path = Path.Combine(path, FileName);
        }

        if (!File.Exists(path))
        {
            throw new ConfigurationException(path, null, "manifest not found; pass the app's spin.toml or its folder with -f/--from");
        }

        return FromTable(TomlFile.Read(path, "manifest", "expected a spin.toml or its folder (-f/--from)"), path, variables);
    }

    /// <summary>
    /// The environment variable Spin reads an application variable's value from: <c>SPIN_VARIABLE_</c> and the name in
    /// capitals (<c>api_host</c>: <c>SPIN_VARIABLE_API_HOST</c>).
    /// </summary>
    public static string VariableEnvironmentName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return AppVariables.EnvironmentName(name);
    }

    /// <summary>Parses manifest text as if read from <paramref name="path"/>.</summary>
    public static AppManifest Parse(string toml, string path) => Parse(toml, path, null);

    /// <summary>Parses manifest text as if read from <paramref name="path"/>, resolving variables as <see cref="Load(string, Func{string, string?})"/> does.</summary>
    public static AppManifest Parse(string toml, string path, Func<string, string?>? variables)
    {
        ArgumentNullException.ThrowIfNull(toml);
        var fullPath = Path.GetFullPath(path);
        return FromTable(TomlFile.Parse(toml, fullPath, "manifest"), fullPath, variables);
    }

    /// <summary>
    /// Checks that every label a component lists is defined. Spin refuses to start such an app, and so does Spindle.
    /// </summary>
    /// <exception cref="ConfigurationException">A component lists a label no runtime config defines.</exception>
    public void CheckStoreLabels(IReadOnlyCollection<string> definedLabels, string? runtimeConfigPath)
    {
        ArgumentNullException.ThrowIfNull(definedLabels);
        foreach (var component in Components)
        {
            foreach (var label in component.KeyValueStores)
            {
                if (!definedLabels.Contains(label))
                {
                    var where = runtimeConfigPath is null
                        ? "pass a runtime config (--runtime-config-file) that defines it"
                        : $"define it in {runtimeConfigPath}";
                    throw new ConfigurationException(
                        FilePath,
                        component.StoresKeyPath,
                        $"component '{component.Id}' uses key-value store label '{label}', which no runtime config defines; {where} as [key_value_store.{label}], or remove it from key_value_stores");
                }
            }
        }
    }

    private static AppManifest FromTable(TomlTable root, string path, Func<string, string?>? variables)
    {
        if (root.TryGetValue("spin_manifest_version", out var version) || root.TryGetValue("spin_version", out version))
        {
            switch (version)
            {
                case long v when v == 2:
                    return FromV2(root, path, AppVariables.Read(root, path, variables));
                case string s when s == "1":
                    return FromV1(root, path, AppVariables.Read(root, path, variables));
                default:
                    break;
            }
        }

        throw new ConfigurationException(
            path,
            "spin_manifest_version",
            "missing or unsupported; Spindle reads spin_manifest_version = 2 and the older spin_manifest_version = \"1\"");
    }

    private static AppManifest FromV2(TomlTable root, string path, AppVariables variables)
    {
        var application = TomlFile.OptionalTable(root, "application", path, "application")
            ?? throw new ConfigurationException(path, "application", "is missing; add an [application] table with name = \"...\"");
        var name = TomlFile.RequiredString(application, "name", path, "application.name", "add name = \"...\" to [application]");

        var components = new List<ComponentManifest>();
        var componentTables = TomlFile.OptionalTable(root, "component", path, "component") ?? [];
        foreach (var (id, value) in componentTables)
        {
            var keyPath = $"component.{id}";
            CheckComponentId(id, path, keyPath, id);
            if (value is not TomlTable table)
            {
                throw new ConfigurationException(path, keyPath, $"must be a table [component.{id}], not {TomlFile.Describe(value)}");
            }

            components.Add(ReadComponent(id, table, path, keyPath, variables));
        }

        var routes = new List<HttpRouteManifest>();
        var triggers = TomlFile.OptionalTable(root, "trigger", path, "trigger");
        if (triggers is not null && triggers.TryGetValue("http", out var http))
        {
            if (http is not TomlTableArray httpTriggers)
            {
                throw new ConfigurationException(path, "trigger.http", "must be an array of tables: [[trigger.http]]");
            }

            var index = 0;
            foreach (var trigger in httpTriggers)
            {
                var keyPath = $"trigger.http[{index++}]";
                var componentId = trigger.TryGetValue("component", out var component) switch
                {
                    true when component is string id => id,
                    true => throw new ConfigurationException(path, $"{keyPath}.component", "inline component tables are not supported; define [component.<id>] and set component = \"<id>\""),
                    false => throw new ConfigurationException(path, $"{keyPath}.component", "is missing; set component = \"<id>\" naming a [component.<id>] table"),
                };
                if (!components.Any(c => c.Id == componentId))
                {
                    throw new ConfigurationException(path, $"{keyPath}.component", $"names component '{componentId}', which has no [component.{componentId}] table");
                }

                routes.Add(new HttpRouteManifest(ReadRoute(trigger, path, $"{keyPath}.route"), componentId));
            }
        }

        return new AppManifest(path, 2, name, components, routes);
    }

    private static AppManifest FromV1(TomlTable root, string path, AppVariables variables)
    {
        var name = TomlFile.RequiredString(root, "name", path, "name", "add name = \"...\"");
        if (TomlFile.OptionalTable(root, "trigger", path, "trigger") is { } trigger)
        {
            var type = TomlFile.OptionalString(trigger, "type", path, "trigger.type");
            if (type is not null && type != "http")
            {
                throw new ConfigurationException(path, "trigger.type", $"trigger type \"{type}\" is not supported; Spindle serves http applications");
            }

            var triggerBase = TomlFile.OptionalString(trigger, "base", path, "trigger.base");
            if (triggerBase is not null && triggerBase != "/")
            {
                throw new ConfigurationException(path, "trigger.base", "a base other than \"/\" is not supported; prepend it to each component's route instead");
            }
        }

        var components = new List<ComponentManifest>();
        var routes = new List<HttpRouteManifest>();
        if (root.TryGetValue("component", out var value))
        {
            if (value is not TomlTableArray tables)
            {
                throw new ConfigurationException(path, "component", "must be an array of tables: [[component]]");
            }

            var index = 0;
            foreach (var table in tables)
            {
                var keyPath = $"component[{index++}]";
                var rawId = TomlFile.RequiredString(table, "id", path, $"{keyPath}.id", "add id = \"...\"");

                // Spin turns v1 ids into kebab-case ids when it reads them.
                var id = rawId.Replace('_', '-').ToLowerInvariant();
                CheckComponentId(id, path, $"{keyPath}.id", rawId);
                var component = ReadComponent(id, table, path, keyPath, variables);
                components.Add(component);
                if (TomlFile.OptionalTable(table, "trigger", path, $"{keyPath}.trigger") is { } componentTrigger)
                {
                    routes.Add(new HttpRouteManifest(ReadRoute(componentTrigger, path, $"{keyPath}.trigger.route"), id));
                }
            }
        }

        return new AppManifest(path, 1, name, components, routes);
    }

    /// <summary>
    /// Spin's component id rule (a kebab-case id): words separated by single <c>-</c>; each word is ASCII letters and
    /// digits, all lowercase or all uppercase; the first word starts with a letter, later words with a letter or digit.
    /// </summary>
    internal static bool IsValidComponentId(string id)
    {
        if (id.Length == 0 || id.Length > MaxComponentIdLength)
        {
            return false;
        }

        var words = id.Split('-');
        for (var i = 0; i < words.Length; i++)
        {
            var word = words[i];
            if (word.Length == 0 || !(char.IsAsciiLetter(word[0]) || (i > 0 && char.IsAsciiDigit(word[0]))))
            {
                return false;
            }

            var upper = char.IsAsciiLetterUpper(word[0]);
            foreach (var c in word)
            {
                if (!char.IsAsciiDigit(c) && !(upper ? char.IsAsciiLetterUpper(c) : char.IsAsciiLetterLower(c)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void CheckComponentId(string id, string path, string keyPath, string written)
    {
        if (!IsValidComponentId(id))
        {
            var shown = written.Length > 80 ? written[..80] + "..." : written;
            throw new ConfigurationException(
                path,
                keyPath,
                $"component id '{shown}' is not valid; use kebab-case words of ASCII letters and digits (at most {MaxComponentIdLength} characters), starting with a letter, such as \"hello\" or \"user-api\"");
        }
    }

    private static ComponentManifest ReadComponent(string id, TomlTable table, string path, string keyPath, AppVariables variables)
    {
        var storesKeyPath = $"{keyPath}.key_value_stores";
        var stores = TomlFile.OptionalStringArray(table, "key_value_stores", path, storesKeyPath);
        foreach (var label in stores)
        {
            if (!StoreLabel.IsValid(label))
            {
                throw new ConfigurationException(
                    path,
                    storesKeyPath,
                    $"'{label}' is not a valid store label; use kebab-case or snake_case words of ASCII letters and digits, each starting with a letter (for example \"default\" or \"user-data\")");
            }
        }

        string? sourcePath = null;
        string sourceDescription;
        switch (table.TryGetValue("source", out var source) ? source : null)
        {
            case string file:
                sourcePath = Path.GetFullPath(file, Path.GetDirectoryName(path)!);
                sourceDescription = file;
                break;
            case TomlTable remote:
                sourceDescription = remote.TryGetValue("url", out var url) ? $"url {url}" : remote.TryGetValue("package", out var package) ? $"registry package {package}" : "a remote source";
                break;
            case null:
                throw new ConfigurationException(path, $"{keyPath}.source", "is missing; set source = \"path/to/component.wasm\"");
            default:
                throw new ConfigurationException(path, $"{keyPath}.source", $"must be a file path string or a table, not {TomlFile.Describe(source)}");
        }

        return new ComponentManifest(id, sourcePath, sourceDescription, stores, storesKeyPath)
        {
            AllowedOutboundHosts = ReadAllowedHosts(table, path, keyPath, variables),
            Variables = ReadComponentVariables(table, path, keyPath, variables),
        };
    }

    // [component.<id>.variables] (v2) or [component.config] (v1): the keys the component's guest reads, each a
    // template over the application variables, resolved now.
    private static Dictionary<string, string> ReadComponentVariables(TomlTable table, string path, string keyPath, AppVariables variables)
    {
        var key = table.ContainsKey("variables") ? "variables" : "config";
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in TomlFile.OptionalTable(table, key, path, $"{keyPath}.{key}") ?? [])
        {
            var entryPath = $"{keyPath}.{key}.{name}";
            if (AppVariables.NameProblem(name) is { } problem)
            {
                throw new ConfigurationException(path, entryPath, $"'{name}' is not a valid variable name: {problem}; use lowercase letters, digits and single underscores, starting with a letter (for example \"api_url\")");
            }

            if (value is not string template)
            {
                throw new ConfigurationException(path, entryPath, $"must be a string (a value, or a template such as \"{{{{ api_host }}}}\"), not {TomlFile.Describe(value)}");
            }

            if (variables.Resolve(template, entryPath) is { } text)
            {
                resolved[name] = text;
            }
        }

        return resolved;
    }

    // allowed_outbound_hosts, with its {{ variable }} templates resolved, plus Spin 1.x's allowed_http_hosts converted
    // as Spin converts it (both are read in either manifest version, as Spin's runtime does).
    private static AllowedOutboundHosts ReadAllowedHosts(TomlTable table, string path, string keyPath, AppVariables variables)
    {
        var outboundKey = $"{keyPath}.allowed_outbound_hosts";
        var httpKey = $"{keyPath}.allowed_http_hosts";
        var outbound = new List<string>();
        foreach (var entry in TomlFile.OptionalStringArray(table, "allowed_outbound_hosts", path, outboundKey))
        {
            if (variables.Resolve(entry, outboundKey) is { } resolved)
            {
                outbound.Add(resolved);
            }
        }

        var http = TomlFile.OptionalStringArray(table, "allowed_http_hosts", path, httpKey);
        if (outbound.Count == 0 && http.Count == 0)
        {
            return Configuration.AllowedOutboundHosts.None;
        }

        if (http.Count == 0)
        {
            return Configuration.AllowedOutboundHosts.Parse(outbound, path, outboundKey);
        }

        var converted = Configuration.AllowedOutboundHosts.FromAllowedHttpHosts(http, path, httpKey);
        return Configuration.AllowedOutboundHosts.Parse([.. outbound, .. converted], path, outbound.Count == 0 ? httpKey : outboundKey);
    }

    private static string? ReadRoute(TomlTable trigger, string path, string keyPath)
    {
        if (!trigger.TryGetValue("route", out var route))
        {
            throw new ConfigurationException(path, keyPath, "is missing; set route = \"/path\" or \"/path/...\"");
        }

        switch (route)
        {
            case string text when text.StartsWith('/'):
                return text;
            case string text:
                throw new ConfigurationException(path, keyPath, $"route \"{text}\" must start with '/'");
            case TomlTable table when table.TryGetValue("private", out var isPrivate) && isPrivate is true:
                return null;
            default:
                throw new ConfigurationException(path, keyPath, "must be a string pattern or { private = true }");
        }
    }
}

/// <summary>One component of a manifest.</summary>
/// <param name="Id">The component id (kebab-case).</param>
/// <param name="SourcePath">The absolute path of the Wasm file, or <see langword="null"/> for a remote source.</param>
/// <param name="SourceDescription">The source as written, for messages.</param>
/// <param name="KeyValueStores">The store labels the component may open.</param>
/// <param name="StoresKeyPath">Where <paramref name="KeyValueStores"/> is in the file, for messages.</param>
public sealed record ComponentManifest(string Id, string? SourcePath, string SourceDescription, IReadOnlyList<string> KeyValueStores, string StoresKeyPath)
{
    /// <summary>Where the component's outbound requests may go (<c>allowed_outbound_hosts</c>); none by default.</summary>
    public AllowedOutboundHosts AllowedOutboundHosts { get; init; } = AllowedOutboundHosts.None;

    /// <summary>
    /// The variables the component's guest may read (<c>[component.&lt;id&gt;.variables]</c>, or <c>[component.config]</c>
    /// in a version 1 manifest), with their templates resolved; none by default.
    /// </summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
}

/// <summary>One HTTP trigger.</summary>
/// <param name="Route">An exact path, or a prefix ending in <c>/...</c>; <see langword="null"/> for a private endpoint.</param>
/// <param name="ComponentId">The component that serves it.</param>
public sealed record HttpRouteManifest(string? Route, string ComponentId);
