using System.Text;
using CsCheck;
using Spindle.Core;
using Spindle.Sqlite;
using Xunit;

namespace Spindle.Configuration.Tests;

/// <summary>
/// Issue #6: random and mutated manifests and runtime configs. Whatever the input, the parsers either succeed or
/// throw <see cref="ConfigurationException"/>; any other exception is a bug. Pin every crashing input CsCheck finds
/// in <see cref="Pinned_inputs_only_raise_configuration_errors"/>.
/// </summary>
public sealed class ConfigurationFuzzTests
{
    private const string ManifestPath = "/fuzz/app/spin.toml";
    private const string ConfigPath = "/fuzz/app/runtime-config.toml";

    private static readonly string[] ManifestSeeds =
    [
        """
        spin_manifest_version = 2
        [application]
        name = "shop"
        version = "0.1.0"
        [variables]
        api_host = { default = "example.com" }
        [[trigger.http]]
        route = "/..."
        component = "frontend"
        [component.frontend]
        source = "frontend.wasm"
        key_value_stores = ["default", "user-data"]
        [component.frontend.build]
        command = "make"
        [[trigger.http]]
        route = { private = true }
        component = "api"
        [component.api]
        source = { url = "https://example.com/api.wasm", digest = "sha256:abc" }
        """,
        """
        spin_version = "1"
        name = "legacy"
        trigger = { type = "http", base = "/" }
        [[component]]
        id = "Hello_World"
        source = "hello.wasm"
        key_value_stores = ["default"]
        [component.trigger]
        route = "/hello/..."
        """,
    ];

    private static readonly string[] ConfigSeeds =
    [
        """
        state_dir = ".spin"
        [key_value_store.default]
        type = "spin"
        path = "data/kv.db"
        [key_value_store.cache]
        type = "redis"
        url = "redis://127.0.0.1:6379"
        [key_value_store.orders]
        type = "azure_cosmos"
        account = "a"
        database = "d"
        container = "c"
        [key_value_store.sessions]
        type = "aws_dynamo"
        region = "us-east-1"
        table = "t"
        consistent_read = true
        [key_value_store.scratch]
        type = "memory"
        """,
    ];

    // Fragments that steer mutations into the parsers' interesting corners: headers, arrays, wrong types, odd keys.
    private static readonly string[] Fragments =
    [
        "[", "]", "[[", "]]", "=", "\"", "'", "{", "}", ",", ".", "\n", "#", "\\", "\"\"\"", "0x7f", "1e308", "-0", "nan",
        "inf", "true", "1979-05-27T07:32:00Z", "[component.x]", "[[trigger.http]]", "[[component]]", "[key_value_store.l]",
        "type = \"spin\"", "route = 1", "source = []", "component = { source = \"a\" }", "key_value_stores = [1]",
        "spin_manifest_version = 2", "spin_version = \"1\"", "\u00e9", "\U0001F600", "\0", "\r", "a.b.c = 1", "path = 3",
        "state_dir = \"\"", "id = \"\"",
    ];

    private static readonly Gen<string> Mutated = Gen.Int[0, 1_000_000].SelectMany(seed => Gen.Int[1, 8].Select(count => Mutate(seed, count)));

    private static readonly Gen<string> RandomText = Gen.Frequency(
        (3, Gen.String[Gen.Char['\0', '\u007f'], 0, 200]),
        (1, Gen.String[0, 200]),
        (2, Gen.OneOf(Fragments.Select(Gen.Const).ToArray()).Array[0, 30].Select(parts => string.Join(string.Empty, parts))));

    [Fact]
    public void Mutated_manifests_only_raise_configuration_errors() =>
        Mutated.Sample(ParseManifest, iter: 20_000, threads: 1);

    [Fact]
    public void Random_text_as_a_manifest_only_raises_configuration_errors() =>
        RandomText.Sample(ParseManifest, iter: 10_000, threads: 1);

    [Fact]
    public void Mutated_runtime_configs_only_raise_configuration_errors() =>
        Mutated.Select(text => text.Contains("key_value_store", StringComparison.Ordinal) ? text : ConfigSeeds[0] + "\n" + text).Sample(ParseAndBindConfig, iter: 20_000, threads: 1);

    [Fact]
    public void Random_text_as_a_runtime_config_only_raises_configuration_errors() =>
        RandomText.Sample(ParseAndBindConfig, iter: 10_000, threads: 1);

    [Theory]
    [InlineData("[a]\n[[a.b]]\n[a.b.c]\n[[a.b]]")]
    [InlineData("a = [{b = 1}, {b = 2}]\n[[a]]")]
    [InlineData("[[a]]\n[a.b]\nx = 1\n[a.b]")]
    [InlineData("x.y = 1\n[x]\nz = 2")]
    [InlineData("[component]\nx = 1")]
    [InlineData("spin_manifest_version = 2\n[application]\nname = \"n\"\n[trigger]\nhttp = 1")]
    [InlineData("spin_manifest_version = 2\n[application]\nname = \"n\"\n[[trigger.http]]\nroute = \"/\"\ncomponent = 5")]
    [InlineData("spin_version = \"1\"\nname = \"n\"\ncomponent = [1, 2]")]
    [InlineData("spin_version = \"1\"\nname = \"n\"\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\ntrigger = 3")]
    [InlineData("[key_value_store.default]\ntype = \"spin\"\npath = { x = 1 }")]
    [InlineData("[key_value_store.l]\ntype = \"aws_dynamo\"\nregion = 1\ntable = []")]
    [InlineData("[key_value_store]\nl = 3")]
    [InlineData("state_dir = 7")]
    [InlineData("a = \"\\")] // Tomlyn threw ArgumentOutOfRangeException at a backslash ending the file
    [InlineData("a = \"\"\"x\\")]
    public void Pinned_inputs_only_raise_configuration_errors(string toml)
    {
        ParseManifest(toml);
        ParseAndBindConfig(toml);
    }

    private static void ParseManifest(string toml)
    {
        try
        {
            var manifest = AppManifest.Parse(toml, ManifestPath);
            manifest.CheckStoreLabels(["default"], null);
        }
        catch (ConfigurationException)
        {
        }
    }

    private static void ParseAndBindConfig(string toml)
    {
        try
        {
            var config = RuntimeConfig.Parse(toml, ConfigPath);
            using var stores = StoreConfiguration.Build(new StoreSetup
            {
                Providers = [new BindOnlyProvider(), new InMemoryStoreProvider()],
                RuntimeConfig = config,
                StateDirFlag = string.Empty,
            });
        }
        catch (ConfigurationException)
        {
        }
    }

    private static string Mutate(int seed, int count)
    {
        var random = new Random(seed);
        var seeds = seed % 3 == 0 ? ConfigSeeds : ManifestSeeds;
        var text = new StringBuilder(seeds[random.Next(seeds.Length)]);
        for (var i = 0; i < count; i++)
        {
            var at = random.Next(text.Length + 1);
            switch (random.Next(6))
            {
                case 0 when text.Length > 0: // delete a run
                    var length = Math.Min(random.Next(1, 12), text.Length - Math.Min(at, text.Length - 1));
                    text.Remove(Math.Min(at, text.Length - 1), length);
                    break;
                case 1: // insert a fragment
                    text.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 2 when text.Length > 0: // replace one character
                    text[Math.Min(at, text.Length - 1)] = (char)random.Next(0, 0x80);
                    break;
                case 3: // duplicate a line
                    var lines = text.ToString().Split('\n');
                    var line = lines[random.Next(lines.Length)];
                    text.Insert(at, "\n" + line + "\n");
                    break;
                case 4: // swap two lines
                    var all = text.ToString().Split('\n');
                    var (a, b) = (random.Next(all.Length), random.Next(all.Length));
                    (all[a], all[b]) = (all[b], all[a]);
                    text.Clear().Append(string.Join('\n', all));
                    break;
                default: // append a header or assignment
                    text.Append('\n').Append(Fragments[random.Next(Fragments.Length)]);
                    break;
            }
        }

        return text.ToString();
    }

    // Binds options exactly as the SQLite provider would, but opens nothing: mutated paths must not touch the disk.
    private sealed class BindOnlyProvider : KeyValueStoreProvider<SqliteStoreOptions>
    {
        public override string Type => "spin";

        public override IKeyValueStoreManager Create(SqliteStoreOptions options, StoreProviderContext context) =>
            new InMemoryStoreManager();
    }
}
