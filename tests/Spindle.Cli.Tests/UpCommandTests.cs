using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Spindle.Cli.Tests;

/// <summary><c>spindle up</c> run through the same entry point as Main, serving real apps over HTTP.</summary>
public sealed class UpCommandTests : IDisposable
{
    private static readonly string RepoRoot = RepoPaths.Root;
    private readonly TempDirectory _temp = new();
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Kv_counter_counts_and_the_count_survives_a_restart()
    {
        var app = Path.Combine(RepoRoot, "examples", "kv-counter");
        var state = _temp.Combine("state");
        string firstOutput;
        await using (var up = await RunningApp.StartAsync(_client, "-f", app, "--state-dir", state))
        {
            Assert.Equal("count: 0\n", await up.GetStringAsync("/"));
            Assert.Equal("count: 1\n", await up.PostStringAsync("/"));
            Assert.Equal("count: 2\n", await up.PostStringAsync("/"));
            firstOutput = await up.StopAsync();
        }

        Assert.Contains($"Storing default key-value data to \"{Path.Combine(state, "sqlite_key_value.db")}\".", firstOutput, StringComparison.Ordinal);
        Assert.Contains("Serving http://127.0.0.1:", firstOutput, StringComparison.Ordinal);
        Assert.Contains("Available Routes:", firstOutput, StringComparison.Ordinal);
        Assert.Contains("  kv-counter: http://127.0.0.1:", firstOutput, StringComparison.Ordinal);
        Assert.Contains("(wildcard)", firstOutput, StringComparison.Ordinal);

        await using (var again = await RunningApp.StartAsync(_client, "-f", app, "--state-dir", state))
        {
            Assert.Equal("count: 2\n", await again.GetStringAsync("/"));
        }

        var stored = await CliResult.RunAsync([], "kv", "get", "count", "-f", app, "--state-dir", state);
        Assert.Equal("2", stored.StdoutText);
    }

    [Fact]
    public async Task Kv_counter_reads_and_writes_keys_by_path()
    {
        await using var up = await RunningApp.StartAsync(_client, "-f", Path.Combine(RepoRoot, "examples", "kv-counter"), "--state-dir", _temp.Combine("state"));
        using var put = await _client.PutAsync(up.Url("/users/ada"), new StringContent("engineer"), TestContext.Current.CancellationToken);
        Assert.True(put.IsSuccessStatusCode, put.StatusCode.ToString());
        Assert.Equal("engineer", await up.GetStringAsync("/users/ada"));
        using var missing = await _client.GetAsync(up.Url("/users/nobody"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    // Issue #8: a component app (examples/kv-counter-component, fermyon:spin/key-value@2.0.0) runs under spindle up
    // unchanged, on the same embedded SQLite default; what it writes is what `spindle kv` reads.
    [Fact]
    public async Task Kv_counter_component_counts_and_stores_keys()
    {
        var app = Path.Combine(RepoRoot, "examples", "kv-counter-component");
        var state = _temp.Combine("state");
        await using (var up = await RunningApp.StartAsync(_client, "-f", app, "--state-dir", state))
        {
            Assert.Equal("count: 0", (await up.GetStringAsync("/")).Trim());
            using var post = await _client.PostAsync(up.Url("/"), null, TestContext.Current.CancellationToken);
            Assert.Equal("count: 1", (await post.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Trim());
            using var put = await _client.PutAsync(up.Url("/users/ada"), new StringContent("engineer"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal("engineer", await up.GetStringAsync("/users/ada"));
        }

        var stored = await CliResult.RunAsync([], "kv", "get", "count", "-f", app, "--state-dir", state);
        Assert.Equal("1", stored.StdoutText);
    }

    [Theory]
    [InlineData("spin.toml")]
    [InlineData("spin-v1.toml")]
    public async Task Serves_manifest_versions_1_and_2(string manifest)
    {
        var probe = Path.Combine(RepoRoot, "tests", "wasm", "kv-probe");
        await using var up = await RunningApp.StartAsync(
            _client,
            "-f", Path.Combine(probe, manifest),
            "--runtime-config-file", Path.Combine(probe, "runtime-config.toml"));
        using var set = await _client.PostAsync(up.Url("/set?key=k"), new StringContent("v"), TestContext.Current.CancellationToken);
        Assert.Equal("ok", await set.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ok:v", await up.GetStringAsync("/get?key=k"));
    }

    [Fact]
    public async Task Kv_command_and_a_running_app_share_the_store()
    {
        var app = Path.Combine(RepoRoot, "examples", "kv-counter");
        var state = _temp.Combine("state");
        await using var up = await RunningApp.StartAsync(_client, "-f", app, "--state-dir", state);

        (await CliResult.RunAsync([], "kv", "set", "motd", "from the shell", "-f", app, "--state-dir", state)).AssertSuccess();
        Assert.Equal("from the shell", await up.GetStringAsync("/motd"));

        await up.PostStringAsync("/");
        var count = await CliResult.RunAsync([], "kv", "get", "count", "-f", app, "--state-dir", state);
        Assert.Equal("1", count.StdoutText);
    }

    [Fact]
    public async Task Key_value_flag_seeds_the_default_store()
    {
        var app = Path.Combine(RepoRoot, "examples", "kv-counter");
        await using var up = await RunningApp.StartAsync(_client, "-f", app, "--state-dir", _temp.Combine("state"), "--key-value", "count=41", "--key-value", "motd=a=b");
        Assert.Equal("count: 42\n", await up.PostStringAsync("/"));
        Assert.Equal("a=b", await up.GetStringAsync("/motd"));
    }

    // Issue #9: {{ variable }} templates in allowed_outbound_hosts take --variable, else SPIN_VARIABLE_<NAME>, else the
    // variable's default; a required variable with none of them stops the start, naming it and both ways to set it.
    [Fact]
    public async Task A_required_variable_comes_from_the_variable_flag_or_the_environment_and_without_either_the_start_fails()
    {
        var name = "upstream_" + Guid.NewGuid().ToString("N")[..8];
        var environmentName = "SPIN_VARIABLE_" + name.ToUpperInvariant();
        var wasm = Path.Combine(RepoRoot, "examples", "kv-counter", "kv-counter.wasm");
        var manifest = _temp.WriteFile("spin.toml", string.Join('\n',
            "spin_manifest_version = 2",
            "[application]",
            "name = \"vars\"",
            "[variables]",
            $"{name} = {{ required = true }}",
            "[[trigger.http]]",
            "route = \"/...\"",
            "component = \"web\"",
            "[component.web]",
            $"source = \"{wasm}\"",
            "key_value_stores = [\"default\"]",
            $"allowed_outbound_hosts = [\"https://{{{{ {name} }}}}\"]"));

        var missing = await CliResult.RunAsync([], "up", "-f", manifest, "--state-dir", "", "--listen", $"127.0.0.1:{FreePort()}");
        missing.AssertError(2, manifest, $"variables.{name}", environmentName, $"--variable {name}=");

        var malformed = await CliResult.RunAsync([], "up", "-f", manifest, "--state-dir", "", "--variable", name, "--listen", $"127.0.0.1:{FreePort()}");
        malformed.AssertError(2, "--variable", "NAME=VALUE");

        await using (var up = await RunningApp.StartAsync(_client, "-f", manifest, "--state-dir", "", "--variable", $"{name}=api.example.com"))
        {
            Assert.Equal("count: 1\n", await up.PostStringAsync("/"));
        }

        Environment.SetEnvironmentVariable(environmentName, "api.example.com");
        try
        {
            await using var up = await RunningApp.StartAsync(_client, "-f", manifest, "--state-dir", "");
            Assert.Equal("count: 1\n", await up.PostStringAsync("/"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(environmentName, null);
        }
    }

    // Issue #9: a component reads its [component.<id>.variables] through fermyon:spin/variables@2.0.0, each a template
    // over the application's [variables], resolved when the app starts (here the C wasi:http probe's /variable route).
    [Fact]
    public async Task A_component_reads_its_variables_resolved_from_the_application_variables()
    {
        var wasm = Path.Combine(RepoRoot, "tests", "wasm", "wasi-http-probe", "probe.wasm");
        var manifest = _temp.WriteFile("spin.toml", $$$"""
            spin_manifest_version = 2
            [application]
            name = "vars"
            [variables]
            greeting = { default = "hello" }
            who = { required = true }
            [[trigger.http]]
            route = "/..."
            component = "probe"
            [component.probe]
            source = "{{{wasm}}}"
            [component.probe.variables]
            message = "{{ greeting }}, {{who}}!"
            plain = "literal"
            """);
        await using var up = await RunningApp.StartAsync(_client, "-f", manifest, "--state-dir", "", "--variable", "who=world");
        Assert.Equal("ok:hello, world!", await up.GetStringAsync("/variable?name=message"));
        Assert.Equal("ok:literal", await up.GetStringAsync("/variable?name=plain"));
        Assert.StartsWith("err:undefined:", await up.GetStringAsync("/variable?name=greeting"), StringComparison.Ordinal);
        Assert.StartsWith("err:invalid-name:", await up.GetStringAsync("/variable?name=Message"), StringComparison.Ordinal);
    }

    // Issue #9: Spin's service chaining. The JavaScript http-probe (front) may reach http://*.spin.internal; its
    // /proxy?url= request to http://back.spin.internal/... is answered by the C wasi:http probe (back), whose only
    // route is private; the same probe without that entry (plain, private too) is denied, and a chaining header a
    // client sends is dropped.
    [Fact]
    public async Task A_request_to_a_component_on_spin_internal_reaches_it_even_on_a_private_route()
    {
        var front = Spindle.Testing.JsGuests.Path("http-probe");
        var back = Path.Combine(RepoRoot, "tests", "wasm", "wasi-http-probe", "probe.wasm");
        var manifest = _temp.WriteFile("spin.toml", $$$"""
            spin_manifest_version = 2
            [application]
            name = "chain"
            [[trigger.http]]
            route = "/..."
            component = "front"
            [[trigger.http]]
            route = { private = true }
            component = "plain"
            [[trigger.http]]
            route = { private = true }
            component = "back"
            [component.front]
            source = "{{{front}}}"
            allowed_outbound_hosts = ["http://*.spin.internal"]
            [component.plain]
            source = "{{{front}}}"
            [component.back]
            source = "{{{back}}}"
            """);
        await using var up = await RunningApp.StartAsync(_client, "-f", manifest, "--state-dir", "");

        using var chained = await _client.GetAsync(up.Url("/proxy?url=http://back.spin.internal/method"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, chained.StatusCode);
        Assert.Equal("GET", await chained.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        using var unknown = await _client.GetAsync(up.Url("/proxy?url=http://nobody.spin.internal/method"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // front -> plain (private, no allowed_outbound_hosts), whose own request to back is denied: 502 comes back.
        var inner = Uri.EscapeDataString("http://back.spin.internal/method");
        using var denied = await _client.GetAsync(up.Url($"/proxy?url=http://plain.spin.internal/proxy?url={inner}"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadGateway, denied.StatusCode);
        Assert.StartsWith("failed:", await denied.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // From outside, the private component cannot be reached, with or without a chaining header of the client's own.
        using var forged = new HttpRequestMessage(HttpMethod.Get, up.Url("/echo"));
        forged.Headers.TryAddWithoutValidation("spindle-chained-to", "0000 back");
        using var echoed = await _client.SendAsync(forged, TestContext.Current.CancellationToken);
        var body = await echoed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
        Assert.DoesNotContain("spindle-chained-to", body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("/echo", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_component_file_exits_2_naming_the_source()
    {
        var manifest = _temp.WriteFile("spin.toml", """
            spin_manifest_version = 2
            [application]
            name = "broken"
            [[trigger.http]]
            route = "/..."
            component = "web"
            [component.web]
            source = "missing.wasm"
            """);
        var result = await CliResult.RunAsync([], "up", "-f", manifest, "--listen", $"127.0.0.1:{FreePort()}");
        result.AssertError(2, manifest, "component.web.source", "missing.wasm");
    }

    [Fact]
    public async Task Address_in_use_exits_2_naming_the_flag()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var result = await CliResult.RunAsync([], "up", "-f", Path.Combine(RepoRoot, "examples", "kv-counter"), "--state-dir", _temp.Combine("s"), "--listen", $"127.0.0.1:{port}");
        result.AssertError(2, "--listen", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Folder_without_manifest_exits_2()
    {
        var result = await CliResult.RunAsync([], "up", "-f", _temp.Path, "--listen", $"127.0.0.1:{FreePort()}");
        result.AssertError(2, "spin.toml");
    }

    // Issue #6: a manifest laid out as `spin add` writes it (triggers interleaved with component tables) served
    // only its last trigger; every route must answer.
    [Fact]
    public async Task Every_trigger_of_a_manifest_laid_out_by_spin_add_is_served()
    {
        var probe = Path.Combine(RepoRoot, "tests", "wasm", "kv-probe", "probe.wasm").Replace("\\", "/", StringComparison.Ordinal);
        var manifest = _temp.WriteFile("app/spin.toml", $$"""
            spin_manifest_version = 2

            [application]
            name = "added"
            version = "0.1.0"

            [variables]
            greeting = { default = "hello" }

            [[trigger.http]]
            route = "/first/..."
            component = "first"

            [component.first]
            source = "{{probe}}"
            key_value_stores = ["default"]
            [component.first.build]
            command = "make"

            [[trigger.http]]
            route = "/second/..."
            component = "second"

            [component.second]
            source = "{{probe}}"
            key_value_stores = ["default"]
            [component.second.variables]
            message = "hi"

            [[trigger.http]]
            route = "/third/..."
            component = "first"
            """);
        await using var up = await RunningApp.StartAsync(_client, "-f", manifest, "--state-dir", _temp.Combine("state"));

        using var set = await _client.PostAsync(up.Url("/first/set?key=shared"), new StringContent("v"), TestContext.Current.CancellationToken);
        Assert.Equal("ok", await set.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ok:v", await up.GetStringAsync("/second/get?key=shared"));
        Assert.Equal("ok:v", await up.GetStringAsync("/third/get?key=shared"));
        var output = await up.StopAsync();
        Assert.Contains("  first: http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("  second: http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("/third (wildcard)", output, StringComparison.Ordinal);
    }

    // Issue #6: a replaced default store printed the runtime config's path instead of the database file.
    [Fact]
    public async Task A_default_store_replaced_in_the_runtime_config_prints_its_database_file()
    {
        var config = _temp.WriteFile("config/runtime-config.toml", "[key_value_store.default]\ntype = \"spin\"\npath = \"data/kv.db\"\n");
        await using var up = await RunningApp.StartAsync(_client, "-f", Path.Combine(RepoRoot, "examples", "kv-counter"), "--runtime-config-file", config);

        var output = await up.StopAsync();

        Assert.Contains($"Storing default key-value data to \"{_temp.Combine("config", "data", "kv.db")}\".", output, StringComparison.Ordinal);
        Assert.True(File.Exists(_temp.Combine("config", "data", "kv.db")));
    }

    // Issue #6: a failed start writes nothing: no state folder, no database file, no seeded key.
    [Fact]
    public async Task A_start_that_fails_to_bind_writes_no_database_and_no_seed()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var state = _temp.Combine("state");

        var result = await CliResult.RunAsync([], "up", "-f", Path.Combine(RepoRoot, "examples", "kv-counter"), "--state-dir", state, "--key-value", "count=41", "--listen", $"127.0.0.1:{port}");

        result.AssertError(2, "--listen");
        Assert.False(Directory.Exists(state), "the state folder was created by a start that failed");
    }

    [Fact]
    public async Task A_start_with_a_missing_component_writes_no_database_and_no_seed()
    {
        var manifest = _temp.WriteFile("app/spin.toml", """
            spin_manifest_version = 2
            [application]
            name = "broken"
            [[trigger.http]]
            route = "/..."
            component = "web"
            [component.web]
            source = "missing.wasm"
            key_value_stores = ["default"]
            """);

        var result = await CliResult.RunAsync([], "up", "-f", manifest, "--key-value", "k=v", "--listen", $"127.0.0.1:{FreePort()}");

        result.AssertError(2, "missing.wasm");
        Assert.False(Directory.Exists(_temp.Combine("app", ".spin")), "the default state folder was created by a start that failed");
    }

    [Fact]
    public async Task A_folder_without_a_manifest_creates_no_state_folder()
    {
        var result = await CliResult.RunAsync([], "up", "-f", _temp.Path, "--listen", $"127.0.0.1:{FreePort()}");

        result.AssertError(2, "spin.toml");
        Assert.False(Directory.Exists(_temp.Combine(".spin")));
    }

    [Theory]
    [InlineData("/dev/zero", "is empty or not a regular file")]
    [InlineData(".", "is a folder")]
    public async Task A_source_that_is_not_a_regular_file_is_refused(string source, string fragment)
    {
        var manifest = _temp.WriteFile("app/spin.toml", $"""
            spin_manifest_version = 2
            [application]
            name = "odd"
            [[trigger.http]]
            route = "/..."
            component = "web"
            [component.web]
            source = "{source}"
            """);

        var result = await CliResult.RunAsync([], "up", "-f", manifest, "--listen", $"127.0.0.1:{FreePort()}");

        result.AssertError(2, "component.web.source", fragment);
    }

    public void Dispose()
    {
        _client.Dispose();
        _temp.Dispose();
    }

    private static int FreePort() => Ports.Free();

    /// <summary>A <c>spindle up</c> running in this process until disposed (like Ctrl-C).</summary>
    private sealed class RunningApp : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly MemoryStream _output = new();
        private readonly StringWriter _error = new();
        private readonly HttpClient _client;
        private Task<int>? _run;

        private RunningApp(HttpClient client, int port)
        {
            _client = client;
            BaseUrl = new Uri($"http://127.0.0.1:{port}");
        }

        public Uri BaseUrl { get; }

        public static async Task<RunningApp> StartAsync(HttpClient client, params string[] args)
        {
            var port = FreePort();
            var app = new RunningApp(client, port);
            string[] all = ["up", .. args, "--listen", $"127.0.0.1:{port}"];
            app._run = Task.Run(() => SpindleCli.RunAsync(all, new CliConsole(Stream.Null, app._output, app._error), app._stop.Token));
            await app.WaitUntilServingAsync();
            return app;
        }

        public Uri Url(string pathAndQuery) => new(BaseUrl, pathAndQuery);

        public Task<string> GetStringAsync(string path) => _client.GetStringAsync(Url(path), TestContext.Current.CancellationToken);

        public async Task<string> PostStringAsync(string path)
        {
            using var response = await _client.PostAsync(Url(path), new ByteArrayContent([]), TestContext.Current.CancellationToken);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        }

        /// <summary>Stops the app as Ctrl-C would and returns what it printed.</summary>
        public async Task<string> StopAsync()
        {
            await _stop.CancelAsync();
            var exitCode = await _run!;
            Assert.True(exitCode == 0, $"spindle up exited {exitCode}: {_error}");
            return Encoding.UTF8.GetString(_output.ToArray());
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await StopAsync();
            }

            _stop.Dispose();
            _output.Dispose();
            _error.Dispose();
        }

        private Task WaitUntilServingAsync() =>
            Ports.WaitUntilListeningAsync(BaseUrl.Port, async () => _run!.IsCompleted ? $"exit code {await _run}: {_error}" : null);
    }
}
