using Xunit;

namespace Spindle.Configuration.Tests;

public sealed class AppManifestTests : IDisposable
{
    private const string V2 = """
        spin_manifest_version = 2

        [application]
        name = "shop"

        [[trigger.http]]
        route = "/api/..."
        component = "api"

        [[trigger.http]]
        route = "/health"
        component = "health"

        [[trigger.http]]
        route = { private = true }
        component = "worker"

        [component.api]
        source = "target/api.wasm"
        key_value_stores = ["default", "user-data"]

        [component.health]
        source = { url = "https://example.com/health.wasm", digest = "sha256:abc" }

        [component.worker]
        source = "worker.wasm"
        key_value_stores = ["USER_DATA"]
        """;

    private const string V1 = """
        spin_version = "1"
        name = "legacy"
        trigger = { type = "http", base = "/" }

        [[component]]
        id = "Hello_World"
        source = "hello.wasm"
        key_value_stores = ["default"]
        [component.trigger]
        route = "/hello/..."

        [[component]]
        id = "other"
        source = "bin/other.wasm"
        [component.trigger]
        route = "/other"
        """;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void V2_manifest_reads_components_sources_stores_and_routes()
    {
        var path = _temp.WriteFile("app/spin.toml", V2);

        var manifest = AppManifest.Load(path);

        Assert.Equal(2, manifest.ManifestVersion);
        Assert.Equal("shop", manifest.Name);
        Assert.Equal(path, manifest.FilePath);
        Assert.Equal(_temp.Combine("app"), manifest.Directory);
        Assert.Equal(["api", "health", "worker"], manifest.Components.Select(c => c.Id));

        var api = manifest.Components[0];
        Assert.Equal(_temp.Combine("app", "target", "api.wasm"), api.SourcePath);
        Assert.Equal("target/api.wasm", api.SourceDescription);
        Assert.Equal(["default", "user-data"], api.KeyValueStores);
        Assert.Equal("component.api.key_value_stores", api.StoresKeyPath);

        var health = manifest.Components[1];
        Assert.Null(health.SourcePath);
        Assert.Equal("url https://example.com/health.wasm", health.SourceDescription);
        Assert.Empty(health.KeyValueStores);

        Assert.Equal(["USER_DATA"], manifest.Components[2].KeyValueStores);

        Assert.Equal(
            [new HttpRouteManifest("/api/...", "api"), new HttpRouteManifest("/health", "health"), new HttpRouteManifest(null, "worker")],
            manifest.HttpRoutes);
    }

    // Issue #6: `spin add` appends a [[trigger.http]] and its [component.*] tables (with .build and .variables
    // sub-tables) after the existing ones, so triggers and components alternate; every trigger must survive.
    private const string SpinAddLayout = """
        #:schema https://schemas.spinframework.dev/spin/manifest-v2/latest.json

        spin_manifest_version = 2

        [application]
        name = "shop"
        version = "0.1.0"
        authors = ["Someone <someone@example.com>"]
        description = ""

        [variables]
        api_host = { default = "example.com" }
        token = { required = true, secret = true }

        [[trigger.http]]
        route = "/..."
        component = "frontend"

        [component.frontend]
        source = "frontend/target/wasm32-wasip1/release/frontend.wasm"
        allowed_outbound_hosts = []
        key_value_stores = ["default"]
        [component.frontend.build]
        command = "cargo build --target wasm32-wasip1 --release"
        workdir = "frontend"
        watch = ["src/**/*.rs", "Cargo.toml"]

        [[trigger.http]]
        route = "/api/..."
        component = "api"

        [component.api]
        source = "api/dist/api.wasm"
        exclude_files = ["**/node_modules"]
        [component.api.variables]
        endpoint = "https://{{ api_host }}/v1"
        [component.api.build]
        command = ["npm install", "npm run build"]
        workdir = "api"

        [[trigger.http]]
        id = "health-check"
        route = "/health"
        component = "health"

        [component.health]
        source = "health/main.wasm"
        [component.health.build]
        command = "tinygo build -target=wasip1 -buildmode=c-shared -no-debug -o main.wasm ."
        workdir = "health"
        """;

    [Fact]
    public void Js_todo_example_names_its_build_output_and_the_default_store()
    {
        // Issue #9: examples/js-todo/spin.toml, with Spin's [component.<id>.build] table beside the source.
        var manifest = AppManifest.Load(Spindle.Testing.RepoPaths.Combine("examples", "js-todo"));

        var component = Assert.Single(manifest.Components);
        Assert.Equal("js-todo", component.Id);
        Assert.Equal(Spindle.Testing.RepoPaths.Combine("examples", "js-todo", "dist", "js-todo.wasm"), component.SourcePath);
        Assert.Equal(["default"], component.KeyValueStores);
        Assert.Equal([new HttpRouteManifest("/...", "js-todo")], manifest.HttpRoutes);
    }

    [Fact]
    public void Triggers_interleaved_with_component_tables_are_all_read()
    {
        var manifest = AppManifest.Parse(SpinAddLayout, ManifestPath);

        Assert.Equal(["frontend", "api", "health"], manifest.Components.Select(c => c.Id));
        Assert.Equal(
            [new HttpRouteManifest("/...", "frontend"), new HttpRouteManifest("/api/...", "api"), new HttpRouteManifest("/health", "health")],
            manifest.HttpRoutes);
        Assert.Equal(["default"], manifest.Components[0].KeyValueStores);
    }

    [Fact]
    public void Components_before_triggers_are_all_read()
    {
        const string toml = """
            spin_manifest_version = 2
            [application]
            name = "reversed"
            [application.trigger.http]
            base = "/"
            [component.one]
            source = "one.wasm"
            [component.two]
            source = "two.wasm"
            [[trigger.http]]
            route = "/one"
            component = "one"
            [[trigger.http]]
            route = "/two/..."
            component = "two"
            [[trigger.http]]
            route = { private = true }
            component = "two"
            """;

        var manifest = AppManifest.Parse(toml, ManifestPath);

        Assert.Equal(
            [new HttpRouteManifest("/one", "one"), new HttpRouteManifest("/two/...", "two"), new HttpRouteManifest(null, "two")],
            manifest.HttpRoutes);
    }

    [Fact]
    public void Load_accepts_the_folder_holding_spin_toml()
    {
        var path = _temp.WriteFile("app/spin.toml", V2);

        var manifest = AppManifest.Load(_temp.Combine("app"));

        Assert.Equal(path, manifest.FilePath);
    }

    [Fact]
    public void Load_of_a_folder_without_spin_toml_names_the_file_and_flag()
    {
        var folder = Directory.CreateDirectory(_temp.Combine("empty")).FullName;

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Load(folder));

        Assert.Equal(Path.Combine(folder, "spin.toml"), ex.FilePath);
        Assert.Contains("-f/--from", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void V1_manifest_reads_components_and_coerces_ids_to_kebab_lower_case()
    {
        var path = _temp.WriteFile("app/spin.toml", V1);

        var manifest = AppManifest.Load(path);

        Assert.Equal(1, manifest.ManifestVersion);
        Assert.Equal("legacy", manifest.Name);
        Assert.Equal(["hello-world", "other"], manifest.Components.Select(c => c.Id));
        Assert.Equal(["default"], manifest.Components[0].KeyValueStores);
        Assert.Equal("component[0].key_value_stores", manifest.Components[0].StoresKeyPath);
        Assert.Empty(manifest.Components[1].KeyValueStores);
        Assert.Equal(_temp.Combine("app", "bin", "other.wasm"), manifest.Components[1].SourcePath);
        Assert.Equal(
            [new HttpRouteManifest("/hello/...", "hello-world"), new HttpRouteManifest("/other", "other")],
            manifest.HttpRoutes);
    }

    [Fact]
    public void V1_manifest_with_spin_manifest_version_string_is_read()
    {
        var manifest = AppManifest.Parse(V1.Replace("spin_version = \"1\"", "spin_manifest_version = \"1\"", StringComparison.Ordinal), ManifestPath);

        Assert.Equal(1, manifest.ManifestVersion);
    }

    [Fact]
    public void V1_trigger_type_other_than_http_is_rejected()
    {
        var toml = V1.Replace("type = \"http\"", "type = \"redis\"", StringComparison.Ordinal);

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, ManifestPath));

        Assert.Equal("trigger.type", ex.Key);
        Assert.Contains("\"redis\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_label_in_manifest_names_file_key_and_label()
    {
        var toml = V2.Replace("\"user-data\"", "\"b@dlabel\"", StringComparison.Ordinal);

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, ManifestPath));

        Assert.Equal(ManifestPath, ex.FilePath);
        Assert.Equal("component.api.key_value_stores", ex.Key);
        Assert.Contains("'b@dlabel'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("kebab-case or snake_case", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_store_labels_names_component_label_and_fix()
    {
        var manifest = AppManifest.Parse(V2, ManifestPath);

        var ex = Assert.Throws<ConfigurationException>(() => manifest.CheckStoreLabels(["default", "USER_DATA"], null));

        Assert.Equal(ManifestPath, ex.FilePath);
        Assert.Equal("component.api.key_value_stores", ex.Key);
        Assert.Contains("component 'api'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("label 'user-data'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--runtime-config-file", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[key_value_store.user-data]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_store_labels_points_at_the_runtime_config_in_use()
    {
        var manifest = AppManifest.Parse(V2, ManifestPath);
        var runtimeConfig = _temp.Combine("runtime-config.toml");

        var ex = Assert.Throws<ConfigurationException>(() => manifest.CheckStoreLabels(["default", "user-data"], runtimeConfig));

        Assert.Equal("component.worker.key_value_stores", ex.Key);
        Assert.Contains("component 'worker'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("label 'USER_DATA'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"define it in {runtimeConfig}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_store_labels_passes_when_every_label_is_defined()
    {
        var manifest = AppManifest.Parse(V2, ManifestPath);

        manifest.CheckStoreLabels(["default", "user-data", "USER_DATA"], null);
    }

    [Fact]
    public void Missing_manifest_version_names_file_key_and_fix()
    {
        var toml = V2.Replace("spin_manifest_version = 2", string.Empty, StringComparison.Ordinal);

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, ManifestPath));

        Assert.Equal(ManifestPath, ex.FilePath);
        Assert.Equal("spin_manifest_version", ex.Key);
        Assert.StartsWith($"{ManifestPath}: spin_manifest_version: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("spin_manifest_version = 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_manifest_version_is_rejected()
    {
        var toml = V2.Replace("spin_manifest_version = 2", "spin_manifest_version = 3", StringComparison.Ordinal);

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, ManifestPath));

        Assert.Equal("spin_manifest_version", ex.Key);
    }

    [Fact]
    public void Trigger_naming_an_unknown_component_names_file_key_and_component()
    {
        var toml = V2.Replace("component = \"health\"", "component = \"ghost\"", StringComparison.Ordinal);

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, ManifestPath));

        Assert.Equal(ManifestPath, ex.FilePath);
        Assert.Equal("trigger.http[1].component", ex.Key);
        Assert.Contains("'ghost'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[component.ghost]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_not_starting_with_slash_is_rejected()
    {
        var toml = V2.Replace("route = \"/health\"", "route = \"health\"", StringComparison.Ordinal);

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, ManifestPath));

        Assert.Equal("trigger.http[1].route", ex.Key);
        Assert.Contains("must start with '/'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Component_without_source_names_key_and_fix()
    {
        var toml = V2.Replace("source = \"worker.wasm\"", string.Empty, StringComparison.Ordinal);

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, ManifestPath));

        Assert.Equal("component.worker.source", ex.Key);
        Assert.Contains("set source = ", ex.Message, StringComparison.Ordinal);
    }

    private string ManifestPath => _temp.Combine("spin.toml");
}
