using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Spindle.Core;
using Spindle.Sqlite;

namespace Spindle.Benchmarks;

/// <summary>
/// Spindle's SQLite store (through <see cref="StoreRegistry"/>, as the host calls it) against raw
/// Microsoft.Data.Sqlite running the same statements on one open connection with prepared commands, on the same
/// file and settings (WAL, synchronous=FULL). The difference is Spindle's own overhead: limits, pooling, locking.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 5, iterationCount: 20)]
public class SqliteStoreBenchmarks
{
    private const string Key = "bench-key";

    private string _folder = null!;
    private SqliteDatabase _database = null!;
    private StoreRegistry _registry = null!;
    private IKeyValueStore _store = null!;
    private SqliteConnection _raw = null!;
    private SqliteCommand _rawGet = null!;
    private SqliteCommand _rawSet = null!;
    private byte[] _value = null!;

    /// <summary>Value size in bytes: 100 B and 10 KiB.</summary>
    [Params(100, 10 * 1024)]
    public int ValueSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "spindle-bench", Guid.NewGuid().ToString("N"));
        var path = Path.Combine(_folder, "sqlite_key_value.db");
        _value = new byte[ValueSize];
        Random.Shared.NextBytes(_value);

        _database = SqliteDatabase.OpenFile(path);
        _registry = new StoreRegistry();
        _registry.Add("default", _database);
        _store = _registry.Open("default");
        _store.Set(Key, _value);

        _raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _raw.Open();
        using (var pragma = _raw.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=FULL;";
            pragma.ExecuteNonQuery();
        }

        _rawGet = _raw.CreateCommand();
        _rawGet.CommandText = "SELECT value FROM spin_key_value WHERE store = $store AND key = $key";
        _rawGet.Parameters.AddWithValue("$store", "default");
        _rawGet.Parameters.AddWithValue("$key", Key);
        _rawGet.Prepare();

        _rawSet = _raw.CreateCommand();
        _rawSet.CommandText = """
            INSERT INTO spin_key_value (store, key, value) VALUES ($store, $key, $value)
            ON CONFLICT (store, key) DO UPDATE SET value = excluded.value
            """;
        _rawSet.Parameters.AddWithValue("$store", "default");
        _rawSet.Parameters.AddWithValue("$key", Key);
        _rawSet.Parameters.AddWithValue("$value", _value);
        _rawSet.Prepare();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawGet.Dispose();
        _rawSet.Dispose();
        _raw.Dispose();
        _registry.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(BenchmarkCategories.Read)]
    public byte[] RawGet()
    {
        using var reader = _rawGet.ExecuteReader();
        reader.Read();
        return reader.GetFieldValue<byte[]>(0);
    }

    [Benchmark]
    [BenchmarkCategory(BenchmarkCategories.Read)]
    public byte[]? StoreGet() => _store.Get(Key);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(BenchmarkCategories.Upsert)]
    public int RawSet() => _rawSet.ExecuteNonQuery();

    [Benchmark]
    [BenchmarkCategory(BenchmarkCategories.Upsert)]
    public void StoreSet() => _store.Set(Key, _value);
}
