using System.Diagnostics;
using Spindle.Core;

namespace Spindle.DynamoDb.Tests;

/// <summary>A server that stops answering, on a dynalite of the test's own (issue #7 item 7).</summary>
public sealed class DynamoOutageTests
{
    // Issue #7
    [Fact]
    public async Task A_server_that_stops_answering_gives_io_by_the_deadline_and_calls_succeed_once_it_is_back()
    {
        await using var server = await DynamoServer.StartAsync();
        using var table = new DynamoTable(server.Options("outage"));
        var store = table.Open("test");
        store.Set("acknowledged", "kept"u8.ToArray());

        server.Signal("STOP");
        TimeSpan read, write;
        try
        {
            read = TimeIo(() => store.Get("acknowledged"));
            write = TimeIo(() => store.SetMany([new("other", [1]), new("more", [2])]));
        }
        finally
        {
            server.Signal("CONT");
        }

        // Deadline 1 s plus scheduling slack; the SDK's own timeouts are far longer, so only the deadline ends these.
        Assert.InRange(read, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
        Assert.InRange(write, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal("kept"u8.ToArray(), store.Get("acknowledged"));
            store.Set("after", [2]);
            Assert.Equal([2], store.Get("after"));
        }
    }

    // Issue #7
    [Fact]
    public async Task Without_a_request_deadline_a_call_to_a_stopped_server_ends_at_the_backends_own_timeout()
    {
        await using var server = await DynamoServer.StartAsync();
        using var table = new DynamoTable(server.Options("timeout"), timeout: TimeSpan.FromSeconds(1));
        var store = table.Open("test");
        store.Set("k", [1]);

        server.Signal("STOP");
        KeyValueException error;
        var clock = Stopwatch.StartNew();
        try
        {
            error = Assert.Throws<KeyValueException>(() => store.Increment("n", 1));
        }
        finally
        {
            server.Signal("CONT");
        }

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
        Assert.Equal(KeyValueErrorKind.Io, error.Kind);
        Assert.Contains("did not answer within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.Increment("n", 1));
    }

    private static TimeSpan TimeIo(Action call)
    {
        var clock = Stopwatch.StartNew();
        using (KeyValueDeadline.Enter(TimeSpan.FromSeconds(1)))
        {
            var error = Assert.Throws<KeyValueException>(call);
            Assert.Equal(KeyValueErrorKind.Io, error.Kind);
            Assert.Contains("deadline", error.Message, StringComparison.Ordinal);
            Assert.Contains("test", error.Message, StringComparison.Ordinal);
            DynamoBackendTests.AssertNoCredentials(error);
        }

        return clock.Elapsed;
    }
}
