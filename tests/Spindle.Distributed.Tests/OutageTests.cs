using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Npgsql;

namespace Spindle.Distributed.Tests;

/// <summary>
/// Issue #7, outage mid-load: four writers set distinct keys through the probe guest in a real <c>spindle up</c>
/// process while its server is SIGKILLed and later started again on the same port and data folder. Proves, per
/// backend: writes sent while the server is down fail with an error (the guest's <c>other</c> error in the body, or a
/// 5xx) within a bounded time and none is acknowledged; <c>spindle up</c> keeps running; writes succeed again after
/// the restart without restarting it; and every write acknowledged before, during or after the outage is on the
/// server with its value (the servers run durably: Redis with <c>appendfsync always</c>, PostgreSQL with fsync).
/// The store-level stop and restart are covered in Spindle.Redis.Tests and Spindle.Postgres.Tests.
/// </summary>
[Collection(LoadGroup.Name)]
public sealed class OutageTests : IDisposable
{
    private const int Writers = 4;

    // A fixed schedule: kill once KillAfter writes are acknowledged, restart once FailuresWhileDown writes sent
    // during the outage have failed, stop once AcknowledgedAfter writes sent after the restart are acknowledged.
    private const int KillAfter = 200;
    private const int FailuresWhileDown = 12;
    private const int AcknowledgedAfter = 200;

    // Phases of the server: up; being killed (SIGKILL sent, not yet gone); down; being started again, then up.
    private const int Up = 0;
    private const int Killing = 1;
    private const int Down = 2;
    private const int Restarted = 3;

    // The store call timeout (Redis timeout_ms, PostgreSQL Timeout) is 1 s and the request timeout 10 s; a failure
    // must come back well before the HTTP client's own timeout.
    private static readonly TimeSpan FailureBound = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Redis_killed_mid_load_fails_writes_in_bounded_time_and_keeps_every_acknowledged_write()
    {
        await using var redis = await RedisServer.StartAsync(durable: true);

        await RunAsync(
            $"""
            [key_value_store.default]
            type = "redis"
            url = "{redis.Url}"
            timeout_ms = 1000
            """,
            redis.Kill,
            redis.StartAgainAsync,
            async keys =>
            {
                using var raw = await redis.ConnectRawAsync();
                var values = await raw.GetDatabase().StringGetAsync([.. keys.Select(k => (StackExchange.Redis.RedisKey)k)]);
                return keys.Zip(values, (k, v) => (k, (string?)v)).ToDictionary(p => p.k, p => p.Item2, StringComparer.Ordinal);
            });
    }

    [Fact]
    public async Task PostgreSQL_killed_mid_load_fails_writes_in_bounded_time_and_keeps_every_acknowledged_write()
    {
        await using var postgres = await PostgresServer.StartAsync(durable: true);

        await RunAsync(
            $"""
            [key_value_store.default]
            type = "postgres"
            connection_string = "{postgres.ConnectionString};Timeout=1"
            """,
            postgres.Kill,
            postgres.StartAgainAsync,
            async keys =>
            {
                await using var connection = new NpgsqlConnection(postgres.ConnectionString);
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = new NpgsqlCommand(
                    "SELECT convert_from(key, 'UTF8'), convert_from(value, 'UTF8') FROM spindle_key_value WHERE store = 'default'", connection);
                await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
                var stored = new Dictionary<string, string?>(StringComparer.Ordinal);
                while (await reader.ReadAsync(TestContext.Current.CancellationToken))
                {
                    stored[reader.GetString(0)] = reader.GetString(1);
                }

                return stored;
            });
    }

    private async Task RunAsync(
        string store, Action kill, Func<Task> restart, Func<IReadOnlyList<string>, Task<Dictionary<string, string?>>> readFromServer)
    {
        var config = _temp.WriteFile("runtime-config.toml", store + "\n\n[key_value_store.other]\ntype = \"spin\"\n");
        await using var spindle = await SpindleUp.StartAsync(config, _temp.Combine("state"), "--request-timeout", "10");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        // A write is judged by the phases it was sent and answered in.
        var phase = Up;
        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var acks = new int[4];
        var failedWhileDown = 0;
        var slowestFailure = TimeSpan.Zero;
        var slowestGate = new Lock();
        string? sampleFailure = null;
        var wrong = new ConcurrentQueue<string>();
        var stop = false;
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !Volatile.Read(ref stop); i++)
            {
                var key = $"w{w}-{i}";
                var value = $"value of {key}";
                var sent = Volatile.Read(ref phase);
                var clock = Stopwatch.StartNew();
                HttpStatusCode status;
                string body;
                try
                {
                    using var response = await client.PostAsync(spindle.Url($"/set?key={key}"), new StringContent(value), TestContext.Current.CancellationToken);
                    status = response.StatusCode;
                    body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                }
                catch (HttpRequestException ex)
                {
                    wrong.Enqueue($"{key} (phase {sent}): no HTTP answer from spindle up: {ex.Message}");
                    await Task.Delay(100, TestContext.Current.CancellationToken);
                    continue;
                }

                var answered = Volatile.Read(ref phase);
                if (status == HttpStatusCode.OK && body == "ok")
                {
                    acknowledged[key] = value;
                    Interlocked.Increment(ref acks[sent]);
                    if (sent == Down && answered == Down)
                    {
                        wrong.Enqueue($"{key} was acknowledged while the server was down");
                    }
                }
                else if ((int)status >= 500 || (status == HttpStatusCode.OK && body.StartsWith("err:", StringComparison.Ordinal)))
                {
                    lock (slowestGate)
                    {
                        slowestFailure = clock.Elapsed > slowestFailure ? clock.Elapsed : slowestFailure;
                    }

                    if (sent == Down && answered == Down)
                    {
                        Interlocked.Increment(ref failedWhileDown);
                        Interlocked.CompareExchange(ref sampleFailure, $"{(int)status} {body}", null);
                    }
                    else if (sent == Up && answered == Up)
                    {
                        wrong.Enqueue($"{key} failed before the outage: {(int)status} {body}");
                    }
                }
                else
                {
                    wrong.Enqueue($"{key} (phase {sent}): unexpected answer {(int)status} {body}");
                }
            }
        })).ToArray();

        try
        {
            await WaitForAsync(() => Volatile.Read(ref acks[Up]) >= KillAfter, $"{KillAfter} writes acknowledged before the kill", spindle, wrong);
            Volatile.Write(ref phase, Killing);
            kill();
            Volatile.Write(ref phase, Down);
            await WaitForAsync(() => Volatile.Read(ref failedWhileDown) >= FailuresWhileDown, $"{FailuresWhileDown} writes failing while the server is down", spindle, wrong);
            spindle.AssertRunning("while the server was down");
            Volatile.Write(ref phase, Restarted); // before the restart: the server may answer before restart() returns
            await restart();
            await WaitForAsync(() => Volatile.Read(ref acks[Restarted]) >= AcknowledgedAfter, $"{AcknowledgedAfter} writes acknowledged after the restart", spindle, wrong);
        }
        finally
        {
            Volatile.Write(ref stop, true);
            await Task.WhenAll(writers).WaitAsync(Deadline, TestContext.Current.CancellationToken);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"acknowledged: {acks[Up] + acks[Killing]} sent before the kill, {acks[Down]} sent during the outage (answered after it), {acks[Restarted]} after the restart; " +
            $"{failedWhileDown} failed while down, such as: {sampleFailure}; slowest failure {slowestFailure.TotalMilliseconds:0} ms");
        Assert.True(wrong.IsEmpty, string.Join("\n", wrong.Take(10)));
        spindle.AssertRunning("after the outage"); // the one process started above: never restarted
        Assert.InRange(slowestFailure, TimeSpan.Zero, FailureBound);

        // Every acknowledged write, straight from the server and through spindle up.
        var keys = acknowledged.Keys.Order(StringComparer.Ordinal).ToList();
        var stored = await readFromServer(keys);
        var missing = keys.Where(k => !stored.TryGetValue(k, out var v) || v != acknowledged[k]).ToList();
        Assert.True(
            missing.Count == 0,
            $"{missing.Count} of {keys.Count} acknowledged writes are not on the server with their value, for example: " +
            string.Join(", ", missing.Take(10).Select(k => $"{k} = {(stored.TryGetValue(k, out var v) ? v ?? "(none)" : "(none)")}")));
        foreach (var key in keys)
        {
            Assert.Equal($"ok:some:{acknowledged[key]}", await client.GetStringAsync(spindle.Url($"/get?key={key}"), TestContext.Current.CancellationToken));
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, SpindleUp spindle, ConcurrentQueue<string> wrong)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            spindle.AssertRunning($"while waiting for {what}");
            Assert.True(wrong.IsEmpty, $"while waiting for {what}: {string.Join("\n", wrong.Take(10))}");
            Assert.True(clock.Elapsed < Deadline, $"no {what} within {Deadline.TotalSeconds:0} s");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
