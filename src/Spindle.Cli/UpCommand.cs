using System.CommandLine;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Spindle.Components;
using Spindle.Configuration;
using Spindle.Core;
using Spindle.Host;
using Spindle.Trigger.Http;
using Wasmtime;

namespace Spindle.Cli;

/// <summary><c>spindle up</c>: serve a Spin application's HTTP routes, as <c>spin up</c> does.</summary>
internal sealed class UpCommand(CliConsole console)
{
    // Bounds of the flags, so an absurd value is a one-line error instead of an overflow (issue #6).
    private const double MaxRequestTimeoutSeconds = 24 * 60 * 60;
    private const int MaxOpenStoresLimit = 1024 * 1024;
    private const long MaxSourceBytes = 512L * 1024 * 1024;

    private readonly AppOptions _app = new();

    private readonly Option<string> _listen = new("--listen")
    {
        Description = "Address to listen on",
        DefaultValueFactory = _ => "127.0.0.1:3000",
    };

    private readonly Option<string[]> _keyValues = new("--key-value")
    {
        Description = "Set KEY=VALUE in the default store before serving (repeatable)",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> _variables = new("--variable")
    {
        Description = "Give the application variable NAME the value VALUE: NAME=VALUE (repeatable; wins over $SPIN_VARIABLE_NAME and the default)",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<int> _maxInstances = new("--max-instances")
    {
        Description = "Most guest instances running at once; more requests get 503",
        DefaultValueFactory = _ => HostOptions.DefaultMaxConcurrentInstances,
    };

    private readonly Option<double> _timeout = new("--request-timeout")
    {
        Description = "Seconds of guest execution allowed per request; past it the request gets 500",
        DefaultValueFactory = _ => HostOptions.DefaultRequestTimeout.TotalSeconds,
    };

    private readonly Option<long> _maxMemory = new("--max-memory-bytes")
    {
        Description = "Largest linear memory one instance may grow to",
        DefaultValueFactory = _ => HostOptions.DefaultMaxMemoryBytes,
    };

    private readonly Option<int> _maxStores = new("--max-open-stores")
    {
        Description = "Most key-value stores one instance may have open (store-table-full past it)",
        DefaultValueFactory = _ => HostOptions.DefaultStoreHandleCapacity,
    };

    private readonly Option<long> _maxBody = new("--max-request-body-bytes")
    {
        Description = "Largest request body accepted; a larger one gets 413",
        DefaultValueFactory = _ => HttpTriggerOptions.DefaultMaxRequestBodyBytes,
    };

    public Command Build()
    {
        var up = new Command("up", "Serve a Spin application (spin.toml) over HTTP");
        _app.AddTo(up);
        up.Options.Add(_listen);
        up.Options.Add(_keyValues);
        up.Options.Add(_variables);
        up.Options.Add(_maxInstances);
        up.Options.Add(_timeout);
        up.Options.Add(_maxMemory);
        up.Options.Add(_maxStores);
        up.Options.Add(_maxBody);
        up.SetAction(RunAsync);
        return up;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        // Everything is checked, compiled and bound before any store is opened or written (issue #6): a failed start
        // leaves no database file and no seeded key behind.
        var listen = ParseListen(parse.GetValue(_listen)!);
        var hostOptions = new HostOptions
        {
            MaxConcurrentInstances = AppOptions.InRange(parse.GetValue(_maxInstances), 1, HostOptions.MaxInstancesLimit, "--max-instances", "instances"),
            RequestTimeout = Seconds(parse.GetValue(_timeout), "--request-timeout"),
            MaxMemoryBytes = MemoryBytes(parse.GetValue(_maxMemory)),
            StoreHandleCapacity = AppOptions.InRange(parse.GetValue(_maxStores), 1, MaxOpenStoresLimit, "--max-open-stores", "stores"),
            CompilationCacheDirectory = CompilationCacheDirectory(),
        };
        var seeds = (parse.GetValue(_keyValues) ?? []).Select(ParseSeed).ToList();
        var maxBody = parse.GetValue(_maxBody) is >= 0 and <= HttpTriggerOptions.MaxRequestBodyBytesLimit
            ? parse.GetValue(_maxBody)
            : throw new ConfigurationException(null, "--max-request-body-bytes", $"must be between 0 and {HttpTriggerOptions.MaxRequestBodyBytesLimit}");

        var variables = Variables(parse.GetValue(_variables) ?? []);
        var setup = _app.Resolve(parse, manifestRequired: true, variables: name =>
            variables.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(AppManifest.VariableEnvironmentName(name)));
        var manifest = setup.Manifest!;
        CheckSeeds(seeds, setup.Stores.Limits);

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None)); // a failed bind is reported once, below
        using var engine = new WasmEngine(hostOptions, loggerFactory);
        using var deferred = new DeferredStores(hostOptions.RequestTimeout);
        var (routes, chainTargets) = LoadRoutes(manifest, engine, deferred);

        var triggerOptions = new HttpTriggerOptions { Listen = listen, MaxRequestBodyBytes = maxBody, ServiceChainingKey = engine.ServiceChainingKey };
        var trigger = new HttpTrigger(triggerOptions, routes, loggerFactory, hostOptions.MaxConcurrentInstances, chainTargets);
        await using var triggerScope = trigger.ConfigureAwait(false);
        try
        {
            await trigger.StartAsync(cancellationToken).ConfigureAwait(false);
            engine.AppOrigin = SelfOrigin(trigger.BaseUrl!);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            deferred.Fail("the server did not start");
            throw new ConfigurationException(null, "--listen", $"cannot listen on {listen}: {FirstLine(ex.Message)}; choose another address or port, or stop what uses it", ex);
        }

        LoadedApp app;
        try
        {
            app = AppOptions.Open(setup);
            if (seeds.Count > 0)
            {
                app.Stores.Registry.Open(StoreLabel.Default).SetMany(seeds);
            }
        }
        catch (Exception ex) when (ex is ConfigurationException or KeyValueException)
        {
            deferred.Fail(ex.Message);
            await trigger.StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        using var appScope = app;
        deferred.Open(app.Stores.Registry);

        var stdout = new StreamWriter(console.Output, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        await using (stdout.ConfigureAwait(false))
        {
            if (manifest.Components.Any(c => c.KeyValueStores.Contains(StoreLabel.Default)))
            {
                await stdout.WriteLineAsync($"Storing default key-value data to {app.Stores.DefaultStoreDescription}.").ConfigureAwait(false);
            }

            var baseUrl = trigger.BaseUrl!.ToString().TrimEnd('/');
            await stdout.WriteLineAsync($"Serving {baseUrl}").ConfigureAwait(false);
            if (!IPAddress.IsLoopback(listen.Address))
            {
                await console.Error.WriteLineAsync($"warning: listening on {trigger.BaseUrl.Authority}, which is reachable from other machines; use 127.0.0.1 to serve only this one").ConfigureAwait(false);
            }

            await stdout.WriteLineAsync("Available Routes:").ConfigureAwait(false);
            foreach (var route in routes)
            {
                var suffix = route.IsWildcard ? " (wildcard)" : string.Empty;
                var path = route.IsWildcard ? route.BasePath : route.Pattern;
                await stdout.WriteLineAsync($"  {route.Component.Id}: {baseUrl}{path}{suffix}").ConfigureAwait(false);
            }
        }

        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or SIGTERM: stop accepting, let requests in flight finish.
        }

        await trigger.StopAsync(CancellationToken.None).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    // The public routes, and every component with an HTTP trigger (private ones too), which service chaining reaches.
    private static (List<HttpRoute> Routes, IReadOnlyCollection<GuestComponent> Components) LoadRoutes(AppManifest manifest, WasmEngine engine, DeferredStores stores)
    {
        var routes = new List<HttpRoute>();
        var components = new Dictionary<string, GuestComponent>(StringComparer.Ordinal);
        foreach (var trigger in manifest.HttpRoutes)
        {
            if (!components.TryGetValue(trigger.ComponentId, out var component))
            {
                component = LoadComponent(manifest, manifest.Components.First(c => c.Id == trigger.ComponentId), engine, stores);
                components.Add(trigger.ComponentId, component);
            }

            // A private endpoint (route = { private = true }) is reachable only through service chaining.
            if (trigger.Route is not null)
            {
                routes.Add(new HttpRoute(trigger.Route, component));
            }
        }

        if (routes.Count == 0)
        {
            throw new ConfigurationException(manifest.FilePath, "trigger.http", "the application has no HTTP routes to serve; add a [[trigger.http]] with a route");
        }

        var duplicate = routes.GroupBy(r => r.Pattern, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ConfigurationException(manifest.FilePath, "trigger.http", $"route '{duplicate.Key}' is used by more than one trigger; give each a different route");
        }

        return (routes, components.Values);
    }

    // Where components' requests to their own app (http://self) go: the address served, on loopback when it is
    // every interface, since the request never needs to leave the machine.
    private static Uri SelfOrigin(Uri served) => served.Host switch
    {
        "0.0.0.0" => new UriBuilder(served) { Host = "127.0.0.1", Path = "/" }.Uri,
        "[::]" => new UriBuilder(served) { Host = "[::1]", Path = "/" }.Uri,
        _ => new UriBuilder(served) { Path = "/" }.Uri,
    };

    private static GuestComponent LoadComponent(AppManifest manifest, ComponentManifest component, WasmEngine engine, DeferredStores stores)
    {
        var key = $"component.{component.Id}.source";
        if (component.SourcePath is null)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"{component.SourceDescription} is a remote source, which Spindle cannot fetch; download the .wasm and set source to its path");
        }

        CheckSource(manifest, key, component.SourcePath);
        GuestComponent loaded;
        try
        {
            loaded = engine.LoadComponent(component.Id, component.SourcePath, stores.ForComponent(component.KeyValueStores), component.AllowedOutboundHosts.Allows, component.AllowedOutboundHosts.AllowsSelf, component.Variables);
        }
        catch (MemoryLimitException ex)
        {
            throw new ConfigurationException(null, "--max-memory-bytes", ex.Message, ex);
        }
        catch (WasmtimeException ex)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"'{component.SourcePath}' is not a WebAssembly module Spindle can run: {ex.Message}", ex);
        }
        catch (ComponentLoadException ex)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"'{component.SourcePath}' is a component Spindle cannot run: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"cannot read '{component.SourcePath}': {ex.Message}", ex);
        }

        if (!loaded.ExportsHttpHandler && !loaded.ExportsWasiHttpHandler)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"'{component.SourcePath}' exports no HTTP handler Spindle serves: a Spin 1.x core module must export handle-http-request, a component fermyon:spin/inbound-http or wasi:http/incoming-handler");
        }

        return loaded;
    }

    // A source must be a regular file of bounded size. Devices and FIFOs report length 0 (and /dev/zero never ends),
    // so an empty length is refused without opening the file (issue #6).
    private static void CheckSource(AppManifest manifest, string key, string path)
    {
        if (Directory.Exists(path))
        {
            throw new ConfigurationException(manifest.FilePath, key, $"'{path}' is a folder; set source to the component's .wasm file");
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"file '{path}' does not exist; build the component first or fix the path");
        }

        if (info.Length == 0)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"'{path}' is empty or not a regular file; set source to the component's .wasm file");
        }

        if (info.Length > MaxSourceBytes)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"'{path}' is {info.Length} bytes, more than the {MaxSourceBytes} bytes a component may be");
        }
    }

    private static void CheckSeeds(List<KeyValuePair<string, byte[]>> seeds, KeyValueLimits limits)
    {
        foreach (var (key, value) in seeds)
        {
            var keyBytes = System.Text.Encoding.UTF8.GetByteCount(key);
            if (keyBytes > limits.MaxKeyBytes || value.Length > limits.MaxValueBytes)
            {
                throw new ConfigurationException(null, "--key-value", $"'{key}' is over the size limits ({limits.MaxKeyBytes}-byte keys, {limits.MaxValueBytes}-byte values; see --max-key-bytes and --max-value-bytes)");
            }
        }
    }

    private static TimeSpan Seconds(double value, string flag) =>
        double.IsFinite(value) && value > 0 && value <= MaxRequestTimeoutSeconds
            ? TimeSpan.FromSeconds(value)
            : throw new ConfigurationException(null, flag, $"must be a number of seconds above 0 and at most {MaxRequestTimeoutSeconds}, not {value}");

    private static long MemoryBytes(long value) =>
        value is >= HostOptions.MaxMemoryBytesMinimum and <= HostOptions.MaxMemoryBytesMaximum
            ? value
            : throw new ConfigurationException(null, "--max-memory-bytes", $"must be between {HostOptions.MaxMemoryBytesMinimum} (one WebAssembly page) and {HostOptions.MaxMemoryBytesMaximum} (4 GiB, the most a 32-bit memory can address), not {value}");

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }

    private static IPEndPoint ParseListen(string text)
    {
        if (IPEndPoint.TryParse(text, out var endpoint) && (endpoint.Port != 0 || text.EndsWith(":0", StringComparison.Ordinal)) && text.Contains(':', StringComparison.Ordinal))
        {
            return endpoint;
        }

        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) && int.TryParse(text.AsSpan(10), out var port) && port is >= 0 and <= 65535)
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        throw new ConfigurationException(null, "--listen", $"'{text}' is not an address and port; use IP:PORT such as 127.0.0.1:3000, [::1]:3000 or localhost:3000 (port 0 to 65535)");
    }

    private static KeyValuePair<string, byte[]> ParseSeed(string text)
    {
        var at = text.IndexOf('=', StringComparison.Ordinal);
        if (at <= 0)
        {
            throw new ConfigurationException(null, "--key-value", $"'{text}' is not KEY=VALUE");
        }

        var key = text[..at];
        if (!CommandLineBytes.IsText(key))
        {
            throw new ConfigurationException(null, "--key-value", "a key is not valid UTF-8; keys are UTF-8 text (values may be any bytes)");
        }

        return new(key, CommandLineBytes.ToBytes(text[(at + 1)..]));
    }

    // --variable NAME=VALUE, the last one winning for a name given twice.
    private static Dictionary<string, string> Variables(string[] arguments)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var text in arguments)
        {
            var at = text.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0 || !CommandLineBytes.IsText(text))
            {
                throw new ConfigurationException(null, "--variable", $"'{text}' is not NAME=VALUE; give a variable the manifest declares in [variables], for example --variable api_host=example.com");
            }

            values[text[..at]] = text[(at + 1)..];
        }

        return values;
    }

    private static string CompilationCacheDirectory()
    {
        var root = Environment.GetEnvironmentVariable("SPINDLE_CACHE_DIR");
        if (!string.IsNullOrEmpty(root))
        {
            return root;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var cache = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(cache, "spindle", "compiled");
    }
}
