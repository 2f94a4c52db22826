using System.IO.Pipelines;
using Spindle.Components.Wasi;

namespace Spindle.Components.Tests;

// Issue #9: the input stream over a request body as it arrives (what wasi:http's incoming-body.stream hands out).
public sealed class PipeInputStreamTests
{
    [Fact]
    public async Task Subscribe_is_ready_only_once_bytes_or_the_end_have_arrived()
    {
        var pipe = new Pipe();
        var stream = new PipeInputStream(pipe.Reader, maxBytes: 100);
        var ready = stream.Subscribe();
        Assert.False(ready.IsReady);

        await pipe.Writer.WriteAsync("abc"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.True(ready.IsReady);
        Assert.True(ready.IsReady); // looking consumes nothing

        var buffer = new byte[10];
        Assert.Equal(3, stream.Read(buffer));
        Assert.Equal("abc"u8.ToArray(), buffer[..3]);
        Assert.False(ready.IsReady);

        await pipe.Writer.CompleteAsync();
        Assert.True(ready.IsReady);
        Assert.Equal(-1, stream.Read(buffer));
    }

    [Fact]
    public async Task A_failed_body_makes_the_pollable_ready_and_the_read_fail()
    {
        var pipe = new Pipe();
        var stream = new PipeInputStream(pipe.Reader, maxBytes: 100);
        var ready = stream.Subscribe();
        await pipe.Writer.CompleteAsync(new IOException("the client closed the connection"));
        Assert.True(ready.IsReady);
        var failure = Assert.Throws<WasiStreamException>(() => stream.Read(new byte[10]));
        Assert.Contains("the client closed the connection", failure.Message, StringComparison.Ordinal);
    }
}
