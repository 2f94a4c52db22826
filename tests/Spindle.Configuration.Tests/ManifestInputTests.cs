using System.Text;
using Xunit;

namespace Spindle.Configuration.Tests;

// Issue #6: files and ids that are not what a manifest holds get one clear error, never a hang or a crash.
public sealed class ManifestInputTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_wasm_file_passed_as_the_manifest_is_named_as_such()
    {
        var path = _temp.Combine("app.wasm");
        File.WriteAllBytes(path, [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00]);

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("is a WebAssembly file, not a manifest", ex.Message, StringComparison.Ordinal);
        Assert.Contains("expected a spin.toml or its folder", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_binary_file_gives_one_error_not_one_per_byte()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        bytes[0] = (byte)'a'; // not a wasm header, and mostly invalid UTF-8
        var path = _temp.Combine("spin.toml");
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Load(path));

        Assert.Contains("not UTF-8 text", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Invalid_toml_reports_only_the_first_error()
    {
        var path = _temp.WriteFile("spin.toml", string.Concat(Enumerable.Repeat("this is not toml\n", 200)));

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Load(path));

        Assert.StartsWith($"{path}(1,", ex.Message, StringComparison.Ordinal);
        Assert.Single(ex.Message.Split(" : error : "));
        Assert.True(ex.Message.Length < 300, ex.Message);
    }

    [Fact]
    public void A_manifest_larger_than_the_limit_is_refused_without_being_read()
    {
        var path = _temp.Combine("spin.toml");
        using (var file = File.Create(path))
        {
            file.SetLength(TomlFile.MaxFileBytes + 1);
        }

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Load(path));

        Assert.Contains($"more than a manifest can be ({TomlFile.MaxFileBytes} bytes)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_as_the_manifest_is_read_as_empty_instead_of_forever()
    {
        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Load("/dev/zero"));

        Assert.Equal("spin_manifest_version", ex.Key);
    }

    [Fact]
    public void A_device_as_the_runtime_config_does_not_hang()
    {
        var config = RuntimeConfig.Load("/dev/zero");

        Assert.Empty(config.Stores);
    }

    [Fact]
    public void A_byte_order_mark_is_accepted()
    {
        var path = _temp.Combine("spin.toml");
        File.WriteAllText(path, "spin_manifest_version = 2\n[application]\nname = \"bom\"\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        Assert.Equal("bom", AppManifest.Load(path).Name);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"Hello_World\"")]
    [InlineData("\"-leading\"")]
    [InlineData("\"double--dash\"")]
    [InlineData("\"9lives\"")]
    [InlineData("\"MiXed\"")]
    [InlineData("\"a.b\"")]
    [InlineData("\"spaced id\"")]
    public void V2_component_ids_follow_spins_kebab_case_rule(string quotedId)
    {
        var toml = $"""
            spin_manifest_version = 2
            [application]
            name = "ids"
            [component.{quotedId}]
            source = "x.wasm"
            """;

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, _temp.Combine("spin.toml")));

        Assert.StartsWith("component.", ex.Key, StringComparison.Ordinal);
        Assert.Contains("is not valid; use kebab-case words", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("user-api")]
    [InlineData("API-v2")]
    [InlineData("step-2")]
    [InlineData("HTTP")]
    public void V2_component_ids_spin_accepts_are_accepted(string id)
    {
        var toml = $"""
            spin_manifest_version = 2
            [application]
            name = "ids"
            [component.{id}]
            source = "x.wasm"
            """;

        Assert.Equal(id, Assert.Single(AppManifest.Parse(toml, _temp.Combine("spin.toml")).Components).Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("_")]
    public void V1_component_ids_that_cannot_become_kebab_case_are_refused(string id)
    {
        var toml = $"""
            spin_version = "1"
            name = "legacy"
            trigger = {"{"} type = "http" {"}"}
            [[component]]
            id = "{id}"
            source = "x.wasm"
            """;

        var ex = Assert.Throws<ConfigurationException>(() => AppManifest.Parse(toml, _temp.Combine("spin.toml")));

        Assert.Equal("component[0].id", ex.Key);
    }

    [Theory]
    [InlineData("\"b@d\"")]
    [InlineData("\"\"")]
    [InlineData("\"with space\"")]
    [InlineData("mixed-and_under")]
    public void Runtime_config_labels_follow_the_label_rule(string label)
    {
        var path = _temp.Combine("runtime-config.toml");

        var ex = Assert.Throws<ConfigurationException>(() => RuntimeConfig.Parse($"[key_value_store.{label}]\ntype = \"memory\"\n", path));

        Assert.Equal(path, ex.FilePath);
        Assert.StartsWith("key_value_store.", ex.Key, StringComparison.Ordinal);
        Assert.Contains("is not a valid store label", ex.Message, StringComparison.Ordinal);
    }
}
