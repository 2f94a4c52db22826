using System.Diagnostics;
using Spindle.Components.Wasi;

namespace Spindle.Components.Tests;

// Issue #9 item 1: a response body's output-stream gives wasi:io backpressure. check-write is 0 and subscribe is not
// ready while the client is behind; a write within the permit never waits; a reader that went away is closed.
public sealed class BodyOutputStreamTests
{
    private const int Permit = 64 * 1024;

    private static long Deadline(double seconds) => Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public async Task Check_write_is_zero_while_the_reader_is_behind_and_the_pollable_wakes_when_it_catches_up()
    {
        var response = new OutgoingHttpResponse(new HttpFields());
        var stream = new BodyOutputStream(response, Deadline(30));

        Assert.Equal((ulong)Permit, stream.CheckWrite());
        var clock = Stopwatch.StartNew();
        Assert.True(stream.Write(new byte[Permit])); // fills the pipe to its pause threshold, without waiting
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "a write within check-write's permit waited for the reader");

        Assert.Equal(0UL, stream.CheckWrite());
        var writable = stream.Subscribe();
        Assert.False(writable.IsReady);
        var woken = writable.WhenReady;
        Assert.NotNull(woken);
        Assert.False(woken.IsCompleted);

        var read = await response.Body.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal(Permit, read.Buffer.Length);
        response.Body.AdvanceTo(read.Buffer.End);

        await woken.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(writable.IsReady);
        Assert.Equal((ulong)Permit, stream.CheckWrite());
    }

    [Fact]
    public void A_write_past_the_permit_waits_for_the_reader_until_the_deadline_then_traps()
    {
        var response = new OutgoingHttpResponse(new HttpFields());
        var stream = new BodyOutputStream(response, Deadline(0.3));
        Assert.True(stream.Write(new byte[Permit]));

        var clock = Stopwatch.StartNew();
        var trap = Assert.Throws<ComponentTrapException>(() => stream.Write(new byte[1]));
        Assert.Contains("client did not take the response body", trap.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(200), $"gave up after {clock.Elapsed.TotalMilliseconds} ms, before the deadline");
    }

    [Fact]
    public async Task Blocking_flush_waits_until_the_reader_has_taken_the_bytes()
    {
        var response = new OutgoingHttpResponse(new HttpFields());
        var stream = new BodyOutputStream(response, Deadline(30));
        Assert.True(stream.Write(new byte[Permit]));

        var reader = Task.Run(
            async () =>
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
                var read = await response.Body.ReadAsync(TestContext.Current.CancellationToken);
                response.Body.AdvanceTo(read.Buffer.End);
            },
            TestContext.Current.CancellationToken);

        var clock = Stopwatch.StartNew();
        Assert.True(stream.BlockingFlush());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"returned after {clock.Elapsed.TotalMilliseconds} ms, before the reader took anything");
        Assert.Equal((ulong)Permit, stream.CheckWrite());
        await reader;
    }

    [Fact]
    public async Task A_reader_that_went_away_makes_the_stream_closed()
    {
        var response = new OutgoingHttpResponse(new HttpFields());
        var stream = new BodyOutputStream(response, Deadline(30));
        Assert.True(stream.Write(new byte[Permit]));
        Assert.False(stream.IsClosed);

        await response.Body.CompleteAsync(); // the client disconnected
        Assert.True(stream.Subscribe().IsReady || await WaitReadyAsync(stream.Subscribe()));
        Assert.True(stream.IsClosed);
        Assert.False(stream.Write("more"u8));
    }

    [Fact]
    public void A_finished_body_is_closed()
    {
        var response = new OutgoingHttpResponse(new HttpFields());
        var stream = new BodyOutputStream(response, Deadline(30));
        response.Finish();
        Assert.True(stream.IsClosed);
        Assert.False(stream.Write("late"u8));
    }

    private static async Task<bool> WaitReadyAsync(Pollable pollable)
    {
        if (pollable.WhenReady is { } ready)
        {
            await ready.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }

        return pollable.IsReady;
    }
}
