using Xunit;

namespace Spindle.Configuration.Tests;

// Issue #9: a component's variables ([component.<id>.variables], or [component.config] in a v1 manifest), templates
// over the application's [variables], resolved when the manifest loads.
public sealed class ComponentVariablesTests
{
    private const string ManifestPath = "/apps/demo/spin.toml";

    [Fact]
    public void A_v2_component_gets_its_variables_with_their_templates_resolved()
    {
        var manifest = AppManifest.Parse(
            """
            spin_manifest_version = 2
            [application]
            name = "demo"
            [variables]
            host = { default = "example.com" }
            token = { required = true, secret = true }
            [[trigger.http]]
            route = "/..."
            component = "api"
            [component.api]
            source = "api.wasm"
            [component.api.variables]
            url = "https://{{ host }}/v1"
            auth = "Bearer {{token}}"
            plain = "as written"
            [component.web]
            source = "web.wasm"
            """,
            ManifestPath,
            name => name == "token" ? "s3cret" : null);
        var api = manifest.Components.Single(c => c.Id == "api").Variables;
        Assert.Equal("https://example.com/v1", api["url"]);
        Assert.Equal("Bearer s3cret", api["auth"]);
        Assert.Equal("as written", api["plain"]);
        Assert.Equal(3, api.Count);
        Assert.Empty(manifest.Components.Single(c => c.Id == "web").Variables);

        // Without values (spindle kv), a variable whose template needs a missing value is left out.
        var lenient = AppManifest.Parse(File(), ManifestPath).Components.Single().Variables;
        Assert.Equal(["plain"], lenient.Keys);
    }

    [Fact]
    public void A_v1_component_reads_its_config_table()
    {
        var manifest = AppManifest.Parse(
            """
            spin_manifest_version = "1"
            name = "demo"
            trigger = { type = "http", base = "/" }
            [variables]
            host = { default = "example.com" }
            [[component]]
            id = "api"
            source = "api.wasm"
            [component.trigger]
            route = "/..."
            [component.config]
            url = "https://{{ host }}"
            """,
            ManifestPath);
        Assert.Equal("https://example.com", manifest.Components.Single().Variables["url"]);
    }

    [Theory]
    [InlineData("""Url = "x" """, "component.api.variables.Url", "lowercase")]
    [InlineData("""url = 3""", "component.api.variables.url", "must be a string")]
    [InlineData("""url = "{{ nope }}" """, "component.api.variables.url", "not declared")]
    public void A_bad_component_variable_names_its_key_and_the_fix(string entry, string key, string problem)
    {
        var error = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(File(entry), ManifestPath));
        Assert.Equal(ManifestPath, error.FilePath);
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    private static string File(string entries = "plain = \"as written\"\nauth = \"{{ token }}\"") => $"""
        spin_manifest_version = 2
        [application]
        name = "demo"
        [variables]
        token = {"{"} required = true {"}"}
        [[trigger.http]]
        route = "/..."
        component = "api"
        [component.api]
        source = "api.wasm"
        [component.api.variables]
        {entries}
        """;
}
