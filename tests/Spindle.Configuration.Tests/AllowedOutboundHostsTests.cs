using Xunit;

namespace Spindle.Configuration.Tests;

// Issue #9 item 3: allowed_outbound_hosts with Spin's pattern rules, and Spin 1.x allowed_http_hosts converted as
// Spin converts it.
public sealed class AllowedOutboundHostsTests
{
    private const string ManifestPath = "/apps/demo/spin.toml";
    private const string Key = "component.api.allowed_outbound_hosts";

    [Theory]
    [InlineData("https://example.com", "https://example.com/path?q=1", true)]
    [InlineData("https://example.com", "https://EXAMPLE.com/", true)]
    [InlineData("https://example.com", "https://example.com:443/", true)]
    [InlineData("https://example.com", "https://example.com:8443/", false)]
    [InlineData("https://example.com", "http://example.com/", false)]
    [InlineData("https://example.com", "https://api.example.com/", false)]
    [InlineData("https://example.com/", "https://example.com/", true)]
    [InlineData("http://localhost:3000", "http://localhost:3000/x", true)]
    [InlineData("http://localhost:3000", "http://localhost/x", false)]
    [InlineData("https://*.example.com", "https://api.example.com/", true)]
    [InlineData("https://*.example.com", "https://a.b.example.com/", true)]
    [InlineData("https://*.example.com", "https://example.com/", false)]
    [InlineData("https://*.example.com", "https://badexample.com/", false)]
    [InlineData("*://example.com:*", "http://example.com:81/", true)]
    [InlineData("*://example.com:*", "ftp://example.com:21/", true)]
    [InlineData("*://*:*", "http://anything.test:1/", true)]
    [InlineData("http://*", "http://anything.test/", true)]
    [InlineData("http://*", "http://anything.test:8080/", false)]
    [InlineData("http://127.0.0.1:8000..8002", "http://127.0.0.1:8001/", true)]
    [InlineData("http://127.0.0.1:8000..8002", "http://127.0.0.1:8002/", false)]
    [InlineData("http://10.0.0.0/8:*", "http://10.20.30.40:5/", true)]
    [InlineData("http://10.0.0.0/8:*", "http://11.0.0.1:5/", false)]
    [InlineData("http://10.0.0.0/8:*", "http://ten.example:5/", false)]
    [InlineData("http://[::1]:8080", "http://[::1]:8080/", true)]
    [InlineData("http://self", "http://self/", false)]
    [InlineData("redis://cache", "redis://cache:6379", true)]
    public void An_entry_allows_exactly_the_origins_its_pattern_names(string entry, string url, bool allowed)
    {
        var hosts = AllowedOutboundHosts.Parse([entry], ManifestPath, Key);
        Assert.Equal(allowed, hosts.Allows(new Uri(url)));
    }

    [Fact]
    public void No_entry_allows_nothing()
    {
        Assert.False(AllowedOutboundHosts.None.Allows(new Uri("http://127.0.0.1/")));
        Assert.False(AllowedOutboundHosts.Parse([], ManifestPath, Key).Allows(new Uri("https://example.com/")));
    }

    [Theory]
    [InlineData("example.com", "no scheme")]
    [InlineData("*", "no scheme")]
    [InlineData("https://example.com/api", "has a path")]
    [InlineData("https://exa*mple.com", "wildcard inside the host")]
    [InlineData("https://*.*.example.com", "not a whole leading label")]
    [InlineData("ht-tp://example.com", "letters only")]
    [InlineData("ftp://example.com", "no well-known one")]
    [InlineData("https://example.com:http", "not a number")]
    [InlineData("https://example.com:1..x", "two numbers")]
    [InlineData("https://{{ host }}", "unresolved {{ template }}")]
    [InlineData("insecure:allow-all", "*://*:*")]
    public void A_bad_entry_names_the_file_the_key_and_the_fix(string entry, string problem)
    {
        var error = Assert.Throws<ConfigurationException>(() => AllowedOutboundHosts.Parse([entry], ManifestPath, Key));
        Assert.Equal(ManifestPath, error.FilePath);
        Assert.Equal(Key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_v2_manifest_gives_each_component_its_own_allowed_hosts()
    {
        var manifest = AppManifest.Parse(
            """
            spin_manifest_version = 2
            [application]
            name = "demo"
            [[trigger.http]]
            route = "/api/..."
            component = "api"
            [[trigger.http]]
            route = "/..."
            component = "web"
            [component.api]
            source = "api.wasm"
            allowed_outbound_hosts = ["https://api.example.com", "http://localhost:3000"]
            [component.web]
            source = "web.wasm"
            """,
            ManifestPath);
        var api = manifest.Components.Single(c => c.Id == "api").AllowedOutboundHosts;
        var web = manifest.Components.Single(c => c.Id == "web").AllowedOutboundHosts;
        Assert.True(api.Allows(new Uri("https://api.example.com/v1")));
        Assert.True(api.Allows(new Uri("http://localhost:3000/")));
        Assert.False(web.Allows(new Uri("https://api.example.com/v1")));
    }

    private const string WithVariables =
        """
        spin_manifest_version = 2
        [application]
        name = "demo"
        [variables]
        api_host = { default = "api.example.com" }
        api_port = { required = true }
        [[trigger.http]]
        route = "/..."
        component = "api"
        [component.api]
        source = "api.wasm"
        allowed_outbound_hosts = ["https://{{ api_host }}", "http://{{api_host}}:{{ api_port }}", "https://static.example.com"]
        """;

    [Fact]
    public void Variables_in_entries_take_the_given_value_else_their_default()
    {
        string? Values(string name) => name switch { "api_port" => "8080", _ => null };
        var hosts = AppManifest.Parse(WithVariables, ManifestPath, Values).Components.Single().AllowedOutboundHosts;
        Assert.Equal(["https://api.example.com", "http://api.example.com:8080", "https://static.example.com"], hosts.Entries);
        Assert.True(hosts.Allows(new Uri("https://api.example.com/v1")));
        Assert.True(hosts.Allows(new Uri("http://api.example.com:8080/")));
        Assert.False(hosts.Allows(new Uri("http://api.example.com:8081/")));

        string? Override(string name) => name switch { "api_host" => "other.example.com", "api_port" => "9000", _ => null };
        var overridden = AppManifest.Parse(WithVariables, ManifestPath, Override).Components.Single().AllowedOutboundHosts;
        Assert.True(overridden.Allows(new Uri("https://other.example.com/")));
        Assert.False(overridden.Allows(new Uri("https://api.example.com/")));
    }

    [Fact]
    public void A_required_variable_without_a_value_fails_the_start_naming_it_or_without_values_its_entry_allows_nothing()
    {
        var error = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(WithVariables, ManifestPath, _ => null));
        Assert.Equal("variables.api_port", error.Key);
        Assert.Contains("SPIN_VARIABLE_API_PORT", error.Message, StringComparison.Ordinal);
        Assert.Contains("--variable api_port=", error.Message, StringComparison.Ordinal);

        // Loading without values (spindle kv reads the manifest for its stores only): that entry is left out.
        var hosts = AppManifest.Parse(WithVariables, ManifestPath).Components.Single().AllowedOutboundHosts;
        Assert.Equal(["https://api.example.com", "https://static.example.com"], hosts.Entries);
        Assert.False(hosts.Allows(new Uri("http://api.example.com:8080/")));
    }

    [Theory]
    [InlineData("https://{{ missing }}", "component.api.allowed_outbound_hosts", "not declared")]
    [InlineData("https://{{ api_host", "component.api.allowed_outbound_hosts", "without its '}}'")]
    [InlineData("https://{{ api_host }}/v1", "component.api.allowed_outbound_hosts", "has a path")]
    public void A_bad_template_names_the_key_and_the_fix(string entry, string key, string problem)
    {
        var toml = WithVariables.Replace("""allowed_outbound_hosts = ["https://{{ api_host }}", "http://{{api_host}}:{{ api_port }}", "https://static.example.com"]""", $"allowed_outbound_hosts = [\"{entry}\"]", StringComparison.Ordinal);
        var error = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, ManifestPath, _ => "1"));
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""Api = { default = "x" }""", "variables.Api", "lowercase")]
    [InlineData("""a__b = { default = "x" }""", "variables.a__b", "two underscores")]
    [InlineData("""host = "x" """, "variables.host", "must be a table")]
    [InlineData("""host = { default = "x", required = true }""", "variables.host", "both a default and required")]
    [InlineData("""host = { required = "yes" }""", "variables.host.required", "true or false")]
    public void A_bad_variable_declaration_names_the_key_and_the_fix(string declaration, string key, string problem)
    {
        var toml = $$"""
            spin_manifest_version = 2
            [application]
            name = "demo"
            [variables]
            {{declaration}}
            [[trigger.http]]
            route = "/..."
            component = "api"
            [component.api]
            source = "api.wasm"
            """;
        var error = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, ManifestPath));
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_entry_in_a_manifest_names_the_component_key()
    {
        var error = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(
            """
            spin_manifest_version = 2
            [application]
            name = "demo"
            [[trigger.http]]
            route = "/..."
            component = "api"
            [component.api]
            source = "api.wasm"
            allowed_outbound_hosts = ["api.example.com"]
            """,
            ManifestPath));
        Assert.Equal("component.api.allowed_outbound_hosts", error.Key);
    }

    [Fact]
    public void V1_allowed_http_hosts_allow_http_and_https_as_in_Spin()
    {
        var manifest = AppManifest.Parse(
            """
            spin_manifest_version = "1"
            name = "demo"
            trigger = { type = "http", base = "/" }
            [[component]]
            id = "api"
            source = "api.wasm"
            allowed_http_hosts = ["example.com", "localhost:3000", "https://secure.example.com"]
            [component.trigger]
            route = "/..."
            """,
            ManifestPath);
        var hosts = manifest.Components.Single().AllowedOutboundHosts;
        Assert.True(hosts.Allows(new Uri("http://example.com/")));
        Assert.True(hosts.Allows(new Uri("https://example.com/")));
        Assert.False(hosts.Allows(new Uri("https://example.com:8443/")));
        Assert.True(hosts.Allows(new Uri("http://localhost:3000/")));
        Assert.True(hosts.Allows(new Uri("https://secure.example.com/")));
        Assert.False(hosts.Allows(new Uri("https://other.example.com/")));
    }

    [Fact]
    public void V1_insecure_allow_all_allows_any_http_origin()
    {
        var manifest = AppManifest.Parse(
            """
            spin_manifest_version = "1"
            name = "demo"
            trigger = { type = "http", base = "/" }
            [[component]]
            id = "api"
            source = "api.wasm"
            allowed_http_hosts = ["insecure:allow-all"]
            [component.trigger]
            route = "/..."
            """,
            ManifestPath);
        var hosts = manifest.Components.Single().AllowedOutboundHosts;
        Assert.True(hosts.Allows(new Uri("http://anything.test:1234/")));
        Assert.True(hosts.Allows(new Uri("https://anything.test/")));
        Assert.True(hosts.AllowsSelf);
    }
}
