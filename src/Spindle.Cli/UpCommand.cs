using System.CommandLine;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Spindle.Configuration;
using Spindle.Host;
using Spindle.Trigger.Http;
using Wasmtime;

namespace Spindle.Cli;

/// <summary><c>spindle up</c>: serve a Spin application's HTTP routes, as <c>spin up</c> does.</summary>
internal sealed class UpCommand(CliConsole console)
{
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
        DefaultValueFactory = _ => Core.HandleTable<Core.IKeyValueStore>.DefaultCapacity,
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
        var listen = ParseListen(parse.GetValue(_listen)!);
        var hostOptions = new HostOptions
        {
            MaxConcurrentInstances = parse.GetValue(_maxInstances) is > 0 and <= HostOptions.MaxInstancesLimit
                ? parse.GetValue(_maxInstances)
                : throw new ConfigurationException(null, "--max-instances", $"must be between 1 and {HostOptions.MaxInstancesLimit}"),
            RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(_timeout) > 0 ? parse.GetValue(_timeout) : throw new ConfigurationException(null, "--request-timeout", "must be a positive number of seconds")),
            MaxMemoryBytes = parse.GetValue(_maxMemory) > 0 ? parse.GetValue(_maxMemory) : throw new ConfigurationException(null, "--max-memory-bytes", "must be a positive number of bytes"),
            StoreHandleCapacity = Positive(parse.GetValue(_maxStores), "--max-open-stores"),
            CompilationCacheDirectory = CompilationCacheDirectory(),
        };
        var seeds = (parse.GetValue(_keyValues) ?? []).Select(ParseSeed).ToList();
        var maxBody = parse.GetValue(_maxBody) is >= 0 and <= HttpTriggerOptions.MaxRequestBodyBytesLimit
            ? parse.GetValue(_maxBody)
            : throw new ConfigurationException(null, "--max-request-body-bytes", $"must be between 0 and {HttpTriggerOptions.MaxRequestBodyBytesLimit}");

        using var app = _app.Load(parse);
        var manifest = app.Manifest ?? throw new ConfigurationException(null, "--from", $"no {AppManifest.FileName} in '{Path.GetFullPath(parse.GetValue(_app.From) ?? ".")}'; pass the app's manifest or folder with -f");

        var defaultStore = app.Stores.Registry.Open(StoreLabel.Default);
        foreach (var (key, value) in seeds)
        {
            defaultStore.Set(key, Encoding.UTF8.GetBytes(value));
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning));
        using var engine = new WasmEngine(hostOptions, loggerFactory);
        var routes = LoadRoutes(manifest, engine, app);

        var trigger = new HttpTrigger(new HttpTriggerOptions { Listen = listen, MaxRequestBodyBytes = maxBody }, routes, loggerFactory, hostOptions.MaxConcurrentInstances);
        await using var triggerScope = trigger.ConfigureAwait(false);
        try
        {
            await trigger.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new ConfigurationException(null, "--listen", $"cannot listen on {listen}: {ex.Message}; choose another address or stop what uses it", ex);
        }

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

    private static List<HttpRoute> LoadRoutes(AppManifest manifest, WasmEngine engine, LoadedApp app)
    {
        var routes = new List<HttpRoute>();
        var components = new Dictionary<string, GuestComponent>(StringComparer.Ordinal);
        foreach (var trigger in manifest.HttpRoutes)
        {
            if (trigger.Route is null)
            {
                continue; // a private endpoint: reachable only through service chaining, which Spindle does not serve
            }

            if (!components.TryGetValue(trigger.ComponentId, out var component))
            {
                component = LoadComponent(manifest, manifest.Components.First(c => c.Id == trigger.ComponentId), engine, app);
                components.Add(trigger.ComponentId, component);
            }

            routes.Add(new HttpRoute(trigger.Route, component));
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

        return routes;
    }

    private static GuestComponent LoadComponent(AppManifest manifest, ComponentManifest component, WasmEngine engine, LoadedApp app)
    {
        var key = $"component.{component.Id}.source";
        if (component.SourcePath is null)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"{component.SourceDescription} is a remote source, which Spindle cannot fetch; download the .wasm and set source to its path");
        }

        if (!File.Exists(component.SourcePath))
        {
            throw new ConfigurationException(manifest.FilePath, key, $"file '{component.SourcePath}' does not exist; build the component first or fix the path");
        }

        GuestComponent loaded;
        try
        {
            loaded = engine.LoadComponent(component.Id, component.SourcePath, app.Stores.Registry.ForComponent(component.KeyValueStores));
        }
        catch (WasmtimeException ex)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"'{component.SourcePath}' is not a WebAssembly module Spindle can run: {ex.Message}", ex);
        }

        if (!loaded.ExportsHttpHandler)
        {
            throw new ConfigurationException(manifest.FilePath, key, $"'{component.SourcePath}' does not export handle-http-request; Spindle serves Spin 1.x HTTP modules (wasm32-wasi core modules)");
        }

        return loaded;
    }

    private static IPEndPoint ParseListen(string text)
    {
        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0 | text.EndsWith(":0", StringComparison.Ordinal))
        {
            return endpoint;
        }

        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) && int.TryParse(text.AsSpan(10), out var port) && port is >= 0 and <= 65535)
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        throw new ConfigurationException(null, "--listen", $"'{text}' is not an address; use IP:PORT such as 127.0.0.1:3000");
    }

    private static (string Key, string Value) ParseSeed(string text)
    {
        var at = text.IndexOf('=', StringComparison.Ordinal);
        return at > 0
            ? (text[..at], text[(at + 1)..])
            : throw new ConfigurationException(null, "--key-value", $"'{text}' is not KEY=VALUE");
    }

    private static int Positive(int value, string flag) =>
        value > 0 ? value : throw new ConfigurationException(null, flag, "must be a positive number");

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
