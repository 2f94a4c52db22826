using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Spindle.Core;
using Spindle.Sqlite;

namespace Spindle.Benchmarks;

/// <summary>
/// Issue #10: 64 concurrent writers of 100 B values. <see cref="SpinDesign"/> is Spin's SQLite design rebuilt here as
/// the baseline: one connection behind one lock, rollback journal, <c>synchronous=FULL</c>, one autocommit per write.
/// <see cref="GroupCommit"/> is Spindle's store through <see cref="StoreRegistry"/>, as the host calls it (WAL,
/// <c>synchronous=FULL</c>, group commit). <see cref="AllInOneTransaction"/> is the ceiling: the same writes in one
/// transaction on one connection. Each writer writes its own keys; every file is on the same disk (the temp folder).
/// Every write stores new bytes (a sequence number in the value): SQLite skips writing a page whose bytes do not
/// change, so rewriting the same value would commit nothing and never fsync.
/// </summary>
[WarmupCount(2)]
[IterationCount(10)]
public class ConcurrentWriteBenchmarks
{
    /// <summary>Concurrent writers.</summary>
    public const int Writers = 64;

    private const int ValueSize = 100;

    // Writes per writer per invocation: Spin's design is ~100x slower, so it does fewer to keep iterations short.
    private const int SpinWritesEach = 2;
    private const int WritesEach = 40;

    private const string Upsert = """
        INSERT INTO spin_key_value (store, key, value) VALUES ($store, $key, $value)
        ON CONFLICT (store, key) DO UPDATE SET value = excluded.value
        """;

    private readonly Lock _spinLock = new();
    private string _folder = null!;
    private byte[] _value = null!;
    private byte[][] _values = null!;
    private long _sequence;
    private string[][] _keys = null!;
    private WriterCrew _crew = null!;
    private StoreRegistry _registry = null!;
    private IKeyValueStore _store = null!;
    private SqliteConnection _spin = null!;
    private SqliteCommand _spinSet = null!;
    private SqliteConnection _ceiling = null!;
    private SqliteCommand _ceilingSet = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "spindle-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _value = new byte[ValueSize];
        Random.Shared.NextBytes(_value);
        _values = [.. Enumerable.Range(0, Writers).Select(_ => (byte[])_value.Clone())];
        _keys = [.. Enumerable.Range(0, Writers).Select(w => Enumerable.Range(0, WritesEach).Select(i => $"w{w}-{i}").ToArray())];
        _crew = new WriterCrew(Writers);

        _registry = new StoreRegistry();
        _registry.Add("default", SqliteDatabase.OpenFile(Path.Combine(_folder, "spindle.db")));
        _store = _registry.Open("default");

        // Spin's design: crates/key-value-spin opens one connection (rollback journal, SQLite's default synchronous=FULL)
        // and serializes every operation on a mutex around it.
        (_spin, _spinSet) = OpenRaw(Path.Combine(_folder, "spin.db"), "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;");
        (_ceiling, _ceilingSet) = OpenRaw(Path.Combine(_folder, "ceiling.db"), "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _crew.Dispose();
        _spinSet.Dispose();
        _spin.Dispose();
        _ceilingSet.Dispose();
        _ceiling.Dispose();
        _registry.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Writers * SpinWritesEach)]
    [BenchmarkCategory(BenchmarkCategories.ConcurrentWrite)]
    public void SpinDesign() => _crew.Run(w =>
    {
        for (var i = 0; i < SpinWritesEach; i++)
        {
            lock (_spinLock)
            {
                _spinSet.Parameters["$key"].Value = _keys[w][i];
                _spinSet.Parameters["$value"].Value = Fresh(_values[w]);
                _spinSet.ExecuteNonQuery();
            }
        }
    });

    [Benchmark(OperationsPerInvoke = Writers * WritesEach)]
    [BenchmarkCategory(BenchmarkCategories.ConcurrentWrite)]
    public void GroupCommit() => _crew.Run(w =>
    {
        for (var i = 0; i < WritesEach; i++)
        {
            _store.Set(_keys[w][i], Fresh(_values[w]));
        }
    });

    [Benchmark(OperationsPerInvoke = Writers * WritesEach)]
    [BenchmarkCategory(BenchmarkCategories.ConcurrentWrite)]
    public void AllInOneTransaction()
    {
        using var transaction = _ceiling.BeginTransaction();
        _ceilingSet.Transaction = transaction;
        for (var w = 0; w < Writers; w++)
        {
            for (var i = 0; i < WritesEach; i++)
            {
                _ceilingSet.Parameters["$key"].Value = _keys[w][i];
                _ceilingSet.Parameters["$value"].Value = Fresh(_values[w]);
                _ceilingSet.ExecuteNonQuery();
            }
        }

        transaction.Commit();
        _ceilingSet.Transaction = null;
    }

    // Each writer owns its buffer, and a write's bytes are bound before its call returns, so reuse is safe.
    private byte[] Fresh(byte[] value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(value, Interlocked.Increment(ref _sequence));
        return value;
    }

    private (SqliteConnection Connection, SqliteCommand Set) OpenRaw(string path, string pragmas)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = pragmas + """
                CREATE TABLE IF NOT EXISTS spin_key_value (
                  store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key));
                """;
            setup.ExecuteNonQuery();
        }

        var set = connection.CreateCommand();
        set.CommandText = Upsert;
        set.Parameters.AddWithValue("$store", "default");
        set.Parameters.AddWithValue("$key", "");
        set.Parameters.AddWithValue("$value", _value);
        set.Prepare();
        return (connection, set);
    }

    /// <summary>Threads kept for the whole run, so an invocation does not pay for starting 64 threads.</summary>
    private sealed class WriterCrew : IDisposable
    {
        private readonly Barrier _barrier;
        private readonly Thread[] _threads;
        private Action<int>? _work;
        private volatile bool _stopping;

        public WriterCrew(int size)
        {
            _barrier = new Barrier(size + 1);
            _threads = [.. Enumerable.Range(0, size).Select(i => new Thread(() => Loop(i)) { IsBackground = true })];
            Array.ForEach(_threads, t => t.Start());
        }

        /// <summary>Runs <paramref name="work"/> on every thread at once (with its index) and waits for all of them.</summary>
        public void Run(Action<int> work)
        {
            _work = work;
            _barrier.SignalAndWait(); // start
            _barrier.SignalAndWait(); // all done
        }

        public void Dispose()
        {
            _stopping = true;
            _barrier.SignalAndWait();
            Array.ForEach(_threads, t => t.Join());
            _barrier.Dispose();
        }

        private void Loop(int index)
        {
            while (true)
            {
                _barrier.SignalAndWait();
                if (_stopping)
                {
                    return;
                }

                _work!(index);
                _barrier.SignalAndWait();
            }
        }
    }
}
