using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;

namespace Spindle.Distributed.Tests;

/// <summary>
/// Issue #7, scale-out: two <c>spindle up</c> processes serving the same app on one server. 10,000 increments of one
/// counter by 1, sent by 16 concurrent clients alternating between the processes, are each applied exactly once:
/// every one is acknowledged, the values they return are 1 to 10,000 each exactly once, and the counter reads
/// 10,000 through both processes and straight from the server. A backend whose increment read the value and then
/// wrote the sum (a read-modify-write race between processes) loses updates and fails here.
/// </summary>
[Collection(LoadGroup.Name)]
public sealed class ScaleOutTests : IDisposable
{
    private const int Increments = 10_000;
    private const int Clients = 16;
    private const string Key = "counter";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Increments_through_two_processes_on_one_Redis_server_are_each_applied_once()
    {
        await using var redis = await RedisServer.StartAsync();

        await RunAsync(
            $"""
            [key_value_store.default]
            type = "redis"
            url = "{redis.Url}"
            """,
            async () =>
            {
                using var raw = await redis.ConnectRawAsync();
                return (string?)await raw.GetDatabase().StringGetAsync(Key);
            });
    }

    [Fact]
    public async Task Increments_through_two_processes_on_one_PostgreSQL_server_are_each_applied_once()
    {
        await using var postgres = await PostgresServer.StartAsync();

        await RunAsync(
            $"""
            [key_value_store.default]
            type = "postgres"
            connection_string = "{postgres.ConnectionString}"
            """,
            async () =>
            {
                await using var connection = new NpgsqlConnection(postgres.ConnectionString);
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = new NpgsqlCommand(
                    "SELECT convert_from(value, 'UTF8') FROM spindle_key_value WHERE store = 'default' AND key = convert_to($1, 'UTF8')", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = Key });
                return (string?)await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
            });
    }

    private async Task RunAsync(string store, Func<Task<string?>> readFromServer)
    {
        // The probe's second label stays in memory; only "default" (the probe's default label) is shared.
        var config = _temp.WriteFile("runtime-config.toml", store + "\n\n[key_value_store.other]\ntype = \"spin\"\n");
        var starting = new[] { "a", "b" }.Select(name => SpindleUp.StartAsync(config, _temp.Combine("state-" + name))).ToArray();
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        await using var first = await starting[0];
        await using var second = await starting[1];
        SpindleUp[] processes = [first, second];

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(Deadline);
        var returned = new int[Increments + 1]; // how often each counter value came back
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var next = 0;
        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            // Request n goes to process n % 2, so each process serves half, interleaved.
            for (var n = Interlocked.Increment(ref next); n <= Increments; n = Interlocked.Increment(ref next))
            {
                var target = processes[n % processes.Length];
                using var response = await client.PostAsync(target.Url($"/increment?key={Key}&delta=1"), null, stop.Token);
                var body = await response.Content.ReadAsStringAsync(stop.Token);
                if (response.StatusCode == HttpStatusCode.OK && body.StartsWith("ok:", StringComparison.Ordinal)
                    && int.TryParse(body.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= Increments)
                {
                    Interlocked.Increment(ref returned[value]);
                }
                else
                {
                    failures.Enqueue($"request {n} to port {target.Port}: {(int)response.StatusCode} {body}");
                }
            }
        })).ToArray();
        await Task.WhenAll(clients);
        var elapsed = clock.Elapsed;
        var stored = await readFromServer();

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Increments} increments through 2 processes by {Clients} clients in {elapsed.TotalSeconds:0.0} s: {failures.Count} not acknowledged, the server holds {stored}");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {Increments} increments were not acknowledged, for example: {string.Join("; ", failures.Take(5))}");
        first.AssertRunning("under load");
        second.AssertRunning("under load");

        // The count first (a lost update shows as fewer than 10,000), then which increments saw the same value.
        Assert.Equal(Increments.ToString(CultureInfo.InvariantCulture), stored);
        foreach (var process in processes)
        {
            Assert.Equal($"ok:some:{Increments}", await client.GetStringAsync(process.Url($"/get?key={Key}"), TestContext.Current.CancellationToken));
        }

        var repeated = Enumerable.Range(1, Increments).Where(v => returned[v] != 1).Take(10).Select(v => $"{v} came back {returned[v]} times").ToList();
        Assert.True(repeated.Count == 0, $"each value 1..{Increments} must come back from exactly one increment: {string.Join(", ", repeated)}");
    }
}
