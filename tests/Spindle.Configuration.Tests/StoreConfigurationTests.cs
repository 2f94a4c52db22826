using System.Text;
using Spindle.Core;
using Spindle.Sqlite;
using Xunit;

namespace Spindle.Configuration.Tests;

public sealed class StoreConfigurationTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly SqliteStoreProvider _sqlite = new();

    public void Dispose()
    {
        _sqlite.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void State_dir_flag_wins_over_config_and_app_folder()
    {
        var setup = Setup("state_dir = \"from-config\"", stateDirFlag: _temp.Combine("from-flag"), appDirectory: _temp.Combine("app"));

        Assert.Equal(_temp.Combine("from-flag"), StoreConfiguration.ResolveStateDirectory(setup));
    }

    [Fact]
    public void Relative_state_dir_flag_is_relative_to_the_current_folder()
    {
        var setup = Setup("state_dir = \"from-config\"", stateDirFlag: "relative-state", appDirectory: _temp.Combine("app"));

        Assert.Equal(Path.GetFullPath("relative-state"), StoreConfiguration.ResolveStateDirectory(setup));
    }

    [Fact]
    public void Empty_state_dir_flag_means_none_even_with_config_and_app_folder()
    {
        var setup = Setup("state_dir = \"from-config\"", stateDirFlag: "", appDirectory: _temp.Combine("app"));

        Assert.Null(StoreConfiguration.ResolveStateDirectory(setup));
    }

    [Fact]
    public void Config_state_dir_is_relative_to_the_config_files_folder()
    {
        var setup = Setup("state_dir = \"from-config\"", appDirectory: _temp.Combine("app"));

        Assert.Equal(_temp.Combine("conf", "from-config"), StoreConfiguration.ResolveStateDirectory(setup));
    }

    [Fact]
    public void Absolute_config_state_dir_is_used_as_is()
    {
        var absolute = _temp.Combine("elsewhere", "state");
        var setup = Setup($"state_dir = '{absolute}'", appDirectory: _temp.Combine("app"));

        Assert.Equal(absolute, StoreConfiguration.ResolveStateDirectory(setup));
    }

    [Fact]
    public void Empty_config_state_dir_means_none_even_with_app_folder()
    {
        var setup = Setup("state_dir = \"\"", appDirectory: _temp.Combine("app"));

        Assert.Null(StoreConfiguration.ResolveStateDirectory(setup));
    }

    [Fact]
    public void Default_state_dir_is_dot_spin_in_the_app_folder()
    {
        var setup = new StoreSetup { Providers = [_sqlite], AppDirectory = _temp.Combine("app") };

        Assert.Equal(_temp.Combine("app", ".spin"), StoreConfiguration.ResolveStateDirectory(setup));
    }

    [Fact]
    public void Default_state_dir_ignores_a_config_without_state_dir()
    {
        var setup = Setup("[key_value_store.x]\ntype = \"memory\"", appDirectory: _temp.Combine("app"));

        Assert.Equal(_temp.Combine("app", ".spin"), StoreConfiguration.ResolveStateDirectory(setup));
    }

    [Fact]
    public void No_state_dir_gives_an_in_memory_default_store()
    {
        var setup = new StoreSetup { Providers = [_sqlite] };

        using var stores = StoreConfiguration.Build(setup);

        Assert.Null(StoreConfiguration.ResolveStateDirectory(setup));
        Assert.Null(stores.StateDirectory);
        Assert.Equal("a temporary in-memory store", stores.DefaultStoreDescription);
        Assert.Equal(["default"], stores.Registry.Labels);
        var store = stores.Registry.Open("default");
        store.Set("k", [1, 2, 3]);
        Assert.Equal([1, 2, 3], store.Get("k"));
    }

    [Fact]
    public void Default_store_is_a_file_in_the_state_dir_which_is_created()
    {
        var app = Directory.CreateDirectory(_temp.Combine("app")).FullName;
        var expected = Path.Combine(app, ".spin", StoreConfiguration.DefaultStoreFileName);

        using (var stores = StoreConfiguration.Build(new StoreSetup { Providers = [_sqlite], AppDirectory = app }))
        {
            Assert.Equal(Path.Combine(app, ".spin"), stores.StateDirectory);
            Assert.Equal($"\"{expected}\"", stores.DefaultStoreDescription);
            stores.Registry.Open("default").Set("k", "v"u8.ToArray());
        }

        Assert.True(File.Exists(expected));

        // The data is in the file: a second build reads it back.
        using var again = StoreConfiguration.Build(new StoreSetup { Providers = [_sqlite], AppDirectory = app });
        Assert.Equal("v"u8.ToArray(), again.Registry.Open("default").Get("k"));
    }

    [Fact]
    public void Relative_store_path_is_resolved_against_the_config_files_folder()
    {
        var configPath = _temp.WriteFile("conf/runtime-config.toml", """
            [key_value_store.data]
            type = "spin"
            path = "db/kv.db"
            """);

        using (var stores = StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite],
            RuntimeConfig = RuntimeConfig.Load(configPath),
            StateDirFlag = "",
        }))
        {
            stores.Registry.Open("data").Set("k", "v"u8.ToArray());
        }

        Assert.True(File.Exists(_temp.Combine("conf", "db", "kv.db")));
        Assert.False(File.Exists(Path.GetFullPath(Path.Combine("db", "kv.db"))));
    }

    [Fact]
    public void Default_table_replaces_the_built_in_default_store()
    {
        var app = Directory.CreateDirectory(_temp.Combine("app")).FullName;
        var configPath = _temp.WriteFile("conf/runtime-config.toml", """
            [key_value_store.default]
            type = "memory"
            """);

        using var stores = StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite, new InMemoryStoreProvider()],
            RuntimeConfig = RuntimeConfig.Load(configPath),
            AppDirectory = app,
        });
        stores.Registry.Open("default").Set("k", "v"u8.ToArray());

        Assert.Equal(["default"], stores.Registry.Labels);
        Assert.Equal("a temporary in-memory store", stores.DefaultStoreDescription);
        Assert.True(stores.Location("default").IsTemporary);
        Assert.False(File.Exists(Path.Combine(app, ".spin", StoreConfiguration.DefaultStoreFileName)));
    }

    // Issue #6: the description named the runtime config instead of where the data is.
    [Fact]
    public void A_default_store_replaced_by_a_spin_file_is_described_by_that_file()
    {
        var configPath = _temp.WriteFile("conf/runtime-config.toml", """
            [key_value_store.default]
            type = "spin"
            path = "data/kv.db"
            [key_value_store.scratch]
            type = "spin"
            """);

        using var stores = StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite, new InMemoryStoreProvider()],
            RuntimeConfig = RuntimeConfig.Load(configPath),
        });

        Assert.Equal($"\"{_temp.Combine("conf", "data", "kv.db")}\"", stores.DefaultStoreDescription);
        Assert.False(stores.Location("default").IsTemporary);
        Assert.Equal(StoreLocation.InMemory, stores.Location("scratch"));
    }

    [Fact]
    public void Default_table_with_a_path_stores_there_and_not_in_the_state_dir()
    {
        var app = Directory.CreateDirectory(_temp.Combine("app")).FullName;
        var configPath = _temp.WriteFile("conf/runtime-config.toml", """
            [key_value_store.default]
            type = "spin"
            path = "mine.db"
            """);

        using (var stores = StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite],
            RuntimeConfig = RuntimeConfig.Load(configPath),
            AppDirectory = app,
        }))
        {
            stores.Registry.Open("default").Set("k", "v"u8.ToArray());
        }

        Assert.True(File.Exists(_temp.Combine("conf", "mine.db")));
        Assert.False(File.Exists(Path.Combine(app, ".spin", StoreConfiguration.DefaultStoreFileName)));
    }

    [Fact]
    public void Labels_sharing_one_file_keep_their_keys_apart()
    {
        // Issue #6: the two labels must really share the file: one database object (one pool, one writer lock), one
        // file holding both labels' rows, and still each label's keys apart.
        var configPath = _temp.WriteFile("runtime-config.toml", """
            [key_value_store.a]
            type = "spin"
            path = "shared.db"

            [key_value_store.b]
            type = "spin"
            path = "./sub/../shared.db"
            """);
        var recording = new RecordingProvider(_sqlite);

        using (var stores = StoreConfiguration.Build(new StoreSetup
        {
            Providers = [recording],
            RuntimeConfig = RuntimeConfig.Load(configPath),
            StateDirFlag = "",
        }))
        {
            stores.Registry.Open("a").Set("k", "from-a"u8.ToArray());
            Assert.Null(stores.Registry.Open("b").Get("k"));
            stores.Registry.Open("b").Set("k", "from-b"u8.ToArray());

            Assert.Equal("from-a", Encoding.UTF8.GetString(stores.Registry.Open("a").Get("k")!));
            Assert.Equal("from-b", Encoding.UTF8.GetString(stores.Registry.Open("b").Get("k")!));
            Assert.Equal(2, recording.Created.Count);
            Assert.Same(recording.Created[0], recording.Created[1]);
        }

        Assert.Equal(["shared.db"], Directory.GetFiles(_temp.Path, "*.db", SearchOption.AllDirectories).Select(Path.GetFileName));
        using var file = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_temp.Combine("shared.db")};Pooling=false");
        file.Open();
        using var rows = file.CreateCommand();
        rows.CommandText = "SELECT store || '=' || CAST(value AS TEXT) FROM spin_key_value WHERE key = 'k' ORDER BY store";
        using var reader = rows.ExecuteReader();
        var found = new List<string>();
        while (reader.Read())
        {
            found.Add(reader.GetString(0));
        }

        Assert.Equal(["a=from-a", "b=from-b"], found);
    }

    [Fact]
    public void Redis_store_builds_but_open_fails_with_io_saying_it_is_unavailable()
    {
        var config = RuntimeConfig.Parse("""
            [key_value_store.cache]
            type = "redis"
            url = "redis://127.0.0.1:6379"
            """, _temp.Combine("runtime-config.toml"));

        using var stores = StoreConfiguration.Build(new StoreSetup { Providers = [_sqlite], RuntimeConfig = config, StateDirFlag = "" });

        Assert.True(stores.Registry.Contains("cache"));
        var ex = Assert.Throws<KeyValueException>(() => stores.Registry.Open("cache"));
        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.Contains("'cache'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"redis\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cannot serve", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_apply_to_configured_stores()
    {
        using var stores = StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite],
            StateDirFlag = "",
            Limits = new KeyValueLimits { MaxValueBytes = 4 },
        });
        var store = stores.Registry.Open("default");

        var ex = Assert.Throws<KeyValueException>(() => store.Set("k", new byte[5]));

        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.False(store.Exists("k"));
    }

    [Fact]
    public void Build_without_a_spin_provider_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => StoreConfiguration.Build(new StoreSetup { Providers = [new InMemoryStoreProvider()] }));
    }

    [Fact]
    public void State_dir_that_is_a_file_is_a_configuration_error()
    {
        var file = _temp.WriteFile("not-a-folder", "x");

        var ex = Assert.Throws<ConfigurationException>(() => StoreConfiguration.Build(new StoreSetup { Providers = [_sqlite], StateDirFlag = file }));

        Assert.Contains("'default'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
    }

    private StoreSetup Setup(string configToml, string? stateDirFlag = null, string? appDirectory = null) => new()
    {
        Providers = [_sqlite, new InMemoryStoreProvider()],
        RuntimeConfig = RuntimeConfig.Parse(configToml, _temp.Combine("conf", "runtime-config.toml")),
        StateDirFlag = stateDirFlag,
        AppDirectory = appDirectory,
    };

    /// <summary>Passes every call to the real SQLite provider and keeps the managers it returns for files.</summary>
    private sealed class RecordingProvider(SqliteStoreProvider inner) : KeyValueStoreProvider<SqliteStoreOptions>
    {
        public List<IKeyValueStoreManager> Created { get; } = [];

        public override string Type => inner.Type;

        public override IKeyValueStoreManager Create(SqliteStoreOptions options, StoreProviderContext context)
        {
            var manager = inner.Create(options, context);
            if (options.Path is not null)
            {
                Created.Add(manager); // not the in-memory default store
            }

            return manager;
        }
    }
}
