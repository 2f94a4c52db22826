// The Spindle side of bench/backends: C concurrent guests (bench/guests/kv-loop, a Spin 1.x HTTP core module), each
// on one of Spindle's guest threads, looping get or set of a 100-byte value on the store `default` of a runtime config
// (type redis or postgres). Every guest call goes the whole way a served request's call goes: the key-value import,
// StoreRegistry and its limits, the backend, its client library and the server.
//
//   Spindle.Benchmarks.Backends --runtime-config FILE --guest kv-loop.wasm --prefix P [--keys K] [--clients C]
//                               [--ops get,set] [--seconds S] [--warmup S] [--batch N] [--fill] [--direct]
//
// --fill first writes every key of the key space (P + 12 digits, below K) from .NET, so that every guest get finds its
// key. --direct (a diagnostic) measures the same loops run by C .NET threads calling the store directly, without
// guests. For each op it warms up (with guests), then measures for S seconds and prints one line:
//
//   RESULT <op> <ops/s> <calls> <seconds>
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spindle.Configuration;
using Spindle.Core;
using Spindle.Host;
using Spindle.Postgres;
using Spindle.Redis;
using Spindle.Sqlite;

const int ValueBytes = 100;
const int FillChunk = 500;

string? configPath = null;
string? guestPath = null;
string? prefix = null;
var keys = 10_000;
var clients = 16;
var ops = new[] { "get", "set" };
var seconds = 10.0;
var warmup = 2.0;
var batch = 200;
var fill = false;
var direct = false;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--runtime-config" when value is not null: configPath = value; i++; break;
        case "--guest" when value is not null: guestPath = value; i++; break;
        case "--prefix" when value is not null: prefix = value; i++; break;
        case "--keys" when int.TryParse(value, CultureInfo.InvariantCulture, out keys) && keys > 0: i++; break;
        case "--clients" when int.TryParse(value, CultureInfo.InvariantCulture, out clients) && clients is > 0 and <= HostOptions.MaxInstancesLimit: i++; break;
        case "--ops" when value is not null: ops = value.Split(','); i++; break;
        case "--seconds" when double.TryParse(value, CultureInfo.InvariantCulture, out seconds) && seconds > 0: i++; break;
        case "--warmup" when double.TryParse(value, CultureInfo.InvariantCulture, out warmup) && warmup >= 0: i++; break;
        case "--batch" when int.TryParse(value, CultureInfo.InvariantCulture, out batch) && batch > 0: i++; break;
        case "--fill": fill = true; break;
        case "--direct": direct = true; break;
        default: return Usage($"unexpected or invalid argument '{args[i]}'");
    }
}

if (configPath is null || guestPath is null || prefix is null)
{
    return Usage("--runtime-config, --guest and --prefix are required");
}

if (ops.Any(op => op is not ("get" or "set")))
{
    return Usage("--ops takes get, set or get,set");
}

var sqlite = new SqliteStoreProvider();
var redis = new RedisStoreProvider();
var postgres = new PostgresStoreProvider();
try
{
    using var stores = StoreConfiguration.Build(new StoreSetup
    {
        Providers = [sqlite, redis, postgres],
        RuntimeConfig = RuntimeConfig.Load(configPath),
        StateDirFlag = string.Empty,
    });
    var registry = stores.Registry;
    Console.WriteLine($"store default: {stores.DefaultStoreDescription}");

    if (fill)
    {
        var store = registry.Open("default");
        var value = Encoding.ASCII.GetBytes(new string('x', ValueBytes));
        var watch = Stopwatch.StartNew();
        for (var start = 0; start < keys; start += FillChunk)
        {
            var items = Enumerable.Range(start, Math.Min(FillChunk, keys - start))
                .Select(k => new KeyValuePair<string, byte[]>(Key(prefix, k), value)).ToArray();
            store.SetMany(items);
        }

        Console.WriteLine($"filled {keys} keys ({Key(prefix, 0)} .. {Key(prefix, keys - 1)}) in {watch.Elapsed.TotalSeconds:0.0} s");
    }

    // As `spindle up` runs guests: a fresh instance per request on a guest thread, under the instance cap.
    using var engine = new WasmEngine(new HostOptions { MaxConcurrentInstances = Math.Max(HostOptions.DefaultMaxConcurrentInstances, clients) });
    var guest = engine.LoadComponent("kv-loop", guestPath, registry.ForComponent(["default"]));
    var round = 0;
    foreach (var op in ops)
    {
        if (warmup > 0)
        {
            await RunAsync(guest, op, TimeSpan.FromSeconds(warmup), ++round).ConfigureAwait(false);
        }

        var (calls, elapsed) = direct
            ? RunDirect(registry.Open("default"), op, TimeSpan.FromSeconds(seconds))
            : await RunAsync(guest, op, TimeSpan.FromSeconds(seconds), ++round).ConfigureAwait(false);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"RESULT {op} {calls / elapsed.TotalSeconds:0.0} {calls} {elapsed.TotalSeconds:0.000}"));
    }

    return 0;
}
catch (Exception ex) when (ex is ConfigurationException or KeyValueException or GuestInvocationException or InvalidOperationException)
{
    Console.Error.WriteLine($"error: {ex}");
    return 1;
}
finally
{
    sqlite.Dispose();
    redis.Dispose();
    postgres.Dispose();
}

// Runs `clients` guest loops until `duration` has passed; each finishes the batch it is in. Returns the calls made and
// the time until the last loop ended.
async Task<(long Calls, TimeSpan Elapsed)> RunAsync(GuestComponent guest, string op, TimeSpan duration, int round)
{
    var watch = Stopwatch.StartNew();
    var loops = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
    {
        long done = 0;
        var seed = (ulong)(((long)round * 1_000_003) + client);
        while (watch.Elapsed < duration)
        {
            var uri = string.Create(CultureInfo.InvariantCulture, $"/?op={op}&n={batch}&keys={keys}&seed={seed}&prefix={Uri.EscapeDataString(prefix)}");
            var running = guest.TryHandleHttpAsync(new HttpGuestRequest("GET", uri, [], []))
                ?? throw new InvalidOperationException("no free guest instance slot");
            var response = await running.ConfigureAwait(false);
            if (response.Status != 200)
            {
                var body = response.Body is null ? string.Empty : Encoding.UTF8.GetString(response.Body);
                throw new InvalidOperationException($"guest {op} loop answered {response.Status}: {body.Trim()}");
            }

            done += batch;
            seed = (seed * 2_862_933_555_777_941_757UL) + 3_037_000_493UL; // next batch's keys start elsewhere
        }

        return done;
    })).ToArray();
    var calls = (await Task.WhenAll(loops).ConfigureAwait(false)).Sum();
    return (calls, watch.Elapsed);
}

// Diagnostic (--direct): the same loops in .NET on `clients` threads calling the store directly, without guests.
(long Calls, TimeSpan Elapsed) RunDirect(IKeyValueStore store, string op, TimeSpan duration)
{
    var value = Encoding.ASCII.GetBytes(new string('x', ValueBytes));
    var counts = new long[clients];
    var watch = Stopwatch.StartNew();
    var threads = Enumerable.Range(0, clients).Select(client => new Thread(() =>
    {
        var random = new Random(client);
        long done = 0;
        while (watch.Elapsed < duration)
        {
            for (var i = 0; i < batch; i++)
            {
                var key = Key(prefix, random.Next(keys));
                if (op == "set")
                {
                    store.Set(key, value);
                }
                else if (store.Get(key) is null)
                {
                    throw new InvalidOperationException($"key {key} is missing");
                }
            }

            done += batch;
        }

        counts[client] = done;
    })).ToArray();
    Array.ForEach(threads, t => t.Start());
    Array.ForEach(threads, t => t.Join());
    return (counts.Sum(), watch.Elapsed);
}

static string Key(string prefix, int k) => prefix + k.ToString("D12", CultureInfo.InvariantCulture);

static int Usage(string problem)
{
    Console.Error.WriteLine($"error: {problem}");
    Console.Error.WriteLine("usage: Spindle.Benchmarks.Backends --runtime-config FILE --guest kv-loop.wasm --prefix P [--keys K] [--clients C] [--ops get,set] [--seconds S] [--warmup S] [--batch N] [--fill] [--direct]");
    return 2;
}
