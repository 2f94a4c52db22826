using System.Buffers;
namespace Spindle.Components.Wasi;

/// <summary>Receives bytes a guest writes to stdout or stderr.</summary>
public delegate void OutputSink(ReadOnlySpan<byte> bytes);

/// <summary>
/// Per-instance WASI state. Put it in the instance's state object by implementing <see cref="IWasiState"/>; an
/// instance whose state does not gets no output sinks and no deadline.
/// </summary>
public sealed class WasiContext
{
    /// <summary>Where the guest's stdout goes; discarded when <see langword="null"/>.</summary>
    public OutputSink? Stdout { get; init; }

    /// <summary>Where the guest's stderr goes; discarded when <see langword="null"/>.</summary>
    public OutputSink? Stderr { get; init; }

    /// <summary>
    /// When blocking calls (<c>poll</c>, <c>pollable.block</c>, blocking stream reads) must give up, as a
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp: past it they trap the instance instead of holding its
    /// thread. <see langword="null"/>: no bound.
    /// </summary>
    public long? Deadline { get; init; }

    /// <summary>
    /// Which outgoing requests (<c>wasi:http/outgoing-handler</c>) the guest may send, and through which client;
    /// <see langword="null"/>: none, every request is <c>HTTP-request-denied</c>.
    /// </summary>
    public OutgoingHttp? OutgoingHttp { get; init; }
}

/// <summary>Implemented by an instance's state object to give WASI its <see cref="WasiContext"/>.</summary>
public interface IWasiState
{
    /// <summary>The instance's WASI state.</summary>
    WasiContext Wasi { get; }
}

/// <summary>Raised (as a trap of the calling instance) when a guest calls <c>wasi:cli/exit</c>.</summary>
public sealed class WasiExitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WasiExitException(int exitCode)
        : base($"the guest called wasi:cli/exit with status {exitCode}")
    {
        ExitCode = exitCode;
    }

    /// <summary>0 for <c>ok</c>, 1 for <c>err</c>, or the code passed to <c>exit-with-code</c>.</summary>
    public int ExitCode { get; }
}

/// <summary>Something a guest can wait on (<c>wasi:io/poll</c> <c>pollable</c>).</summary>
public abstract class Pollable
{
    /// <summary>Whether waiting would return at once.</summary>
    public abstract bool IsReady { get; }

    /// <summary>A <see cref="System.Diagnostics.Stopwatch"/> timestamp at which it becomes ready, if it is a timer.</summary>
    public virtual long? ReadyAt => null;

    /// <summary>A pollable that is always ready.</summary>
    public static Pollable Ready { get; } = new AlwaysReady();

    /// <summary>A task that ends when it becomes ready, if there is one: a wait can then wake at once instead of polling.</summary>
#pragma warning disable VSTHRD114 // null means "no task": the wait polls instead
    internal virtual Task? WhenReady => null;
#pragma warning restore VSTHRD114

    private sealed class AlwaysReady : Pollable
    {
        public override bool IsReady => true;
    }
}

/// <summary>A pollable that becomes ready at a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
public sealed class TimerPollable(long readyAt) : Pollable
{
    /// <inheritdoc/>
    public override bool IsReady => System.Diagnostics.Stopwatch.GetTimestamp() >= readyAt;

    /// <inheritdoc/>
    public override long? ReadyAt => readyAt;
}

/// <summary>A WASI <c>input-stream</c> as the host implements it.</summary>
public abstract class InputStream
{
    /// <summary>
    /// Reads up to <paramref name="buffer"/>'s length without waiting: the count read, 0 when nothing is available
    /// yet, or -1 at the end of the stream.
    /// </summary>
    public abstract int Read(Span<byte> buffer);

    /// <summary>Reads at least one byte, waiting if needed (until <paramref name="deadline"/>); -1 at the end.</summary>
    public virtual int BlockingRead(Span<byte> buffer, long? deadline) => Read(buffer);

    /// <summary>Ready when a read would return data or the end.</summary>
    public virtual Pollable Subscribe() => Pollable.Ready;

    /// <summary>A stream that is at its end from the start (stdin of a server guest).</summary>
    public static InputStream Empty { get; } = new EmptyInput();

    private sealed class EmptyInput : InputStream
    {
        public override int Read(Span<byte> buffer) => -1;
    }
}

/// <summary>A stream operation failed (WASI's <c>last-operation-failed</c>, with this message as the error's text).</summary>
public sealed class WasiStreamException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WasiStreamException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the failure behind it, which an interface may describe further (<c>wasi:http</c>'s <c>http-error-code</c>).</summary>
    public WasiStreamException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// An input stream over a <see cref="System.IO.Pipelines.PipeReader"/> (for example a request body as it arrives), read at most
/// <paramref name="maxBytes"/> bytes far: past that a read fails naming the limit. <paramref name="what"/> names the
/// body in messages.
/// </summary>
public sealed class PipeInputStream(System.IO.Pipelines.PipeReader reader, long maxBytes, string what = "the request body") : InputStream
{
    private long _read;

    // A read started while a guest waits on the stream's pollable (so the wait wakes when bytes arrive); the next
    // read takes its result. Without one, readiness is looked at without consuming anything.
    private Task<System.IO.Pipelines.ReadResult>? _pending;

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (_pending is { } pending)
        {
            if (!pending.IsCompleted)
            {
                return 0;
            }

            _pending = null;
            return Take(Result(pending), buffer);
        }

        try
        {
            return reader.TryRead(out var result) ? Take(result, buffer) : 0;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            throw Failed(ex);
        }
    }

    /// <inheritdoc/>
    public override int BlockingRead(Span<byte> buffer, long? deadline)
    {
        var pending = _pending ?? StartReadAsync();
        _pending = null;
        var wait = WasiDeadline.Remaining(deadline);

        // A dedicated guest thread waits for the body to arrive (docs/threading.md), at most until the deadline.
        if (!((IAsyncResult)pending).AsyncWaitHandle.WaitOne(wait))
        {
            _pending = pending;
            throw new ComponentTrapException($"the guest waited for {what} past its deadline");
        }

        return Take(Result(pending), buffer);
    }

    /// <summary>Ready whenever a read would return bytes or the end, or fail (the read says how); it may be asked again after reads.</summary>
    public override Pollable Subscribe() => new Readable(this);

    // Whether a read now would not return 0; looks without consuming.
    private bool IsReadable()
    {
        if (_pending is { } pending)
        {
            return pending.IsCompleted;
        }

        try
        {
            if (!reader.TryRead(out var result))
            {
                return false;
            }

            reader.AdvanceTo(result.Buffer.Start);
            return !result.Buffer.IsEmpty || result.IsCompleted || result.IsCanceled;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            return true;
        }
    }

    private Task WhenReadableAsync() => _pending ??= StartReadAsync();

    // A read of a pipe whose writer failed throws at once rather than returning a faulted task; as a task, the
    // failure reaches the guest as a stream error (through Result) instead of escaping the host call as a trap.
    private Task<System.IO.Pipelines.ReadResult> StartReadAsync()
    {
        try
        {
            return reader.ReadAsync().AsTask();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            return Task.FromException<System.IO.Pipelines.ReadResult>(ex);
        }
    }

    private System.IO.Pipelines.ReadResult Result(Task<System.IO.Pipelines.ReadResult> completed)
    {
        try
        {
#pragma warning disable VSTHRD002 // completed already
            return completed.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            throw Failed(ex);
        }
    }

    private WasiStreamException Failed(Exception ex) => new($"reading {what} failed: {ex.Message}", ex);

    private int Take(System.IO.Pipelines.ReadResult result, Span<byte> buffer)
    {
        var available = result.Buffer;
        if (available.IsEmpty)
        {
            reader.AdvanceTo(available.Start);
            return result.IsCompleted ? -1 : 0;
        }

        var count = (int)Math.Min(available.Length, buffer.Length);
        available.Slice(0, count).CopyTo(buffer);
        reader.AdvanceTo(available.GetPosition(count));
        _read += count;
        if (_read > maxBytes)
        {
            throw new WasiStreamException($"{what} is larger than the host's limit of {maxBytes} bytes");
        }

        return count;
    }

    private sealed class Readable(PipeInputStream stream) : Pollable
    {
        public override bool IsReady => stream.IsReadable();

#pragma warning disable VSTHRD003, VSTHRD114 // only waited on (Task.WaitAny), on a guest thread; null when ready already
        internal override Task? WhenReady => stream.IsReadable() ? null : stream.WhenReadableAsync();
#pragma warning restore VSTHRD003, VSTHRD114
    }
}

/// <summary>A WASI <c>output-stream</c> as the host implements it.</summary>
public abstract class OutputStream
{
    /// <summary>How many bytes the guest may write now; 0 means wait. Default: 64 KiB at any time.</summary>
    public virtual ulong CheckWrite() => 65536;

    /// <summary>Writes the bytes; returns <see langword="false"/> when the stream is closed.</summary>
    public abstract bool Write(ReadOnlySpan<byte> bytes);

    /// <summary>Starts flushing buffered bytes without waiting; returns <see langword="false"/> when the stream is closed.</summary>
    public virtual bool Flush() => true;

    /// <summary>Flushes buffered bytes and waits until they are taken; returns <see langword="false"/> when the stream is closed.</summary>
    public virtual bool BlockingFlush() => Flush();

    /// <summary>Whether the stream is closed: <c>check-write</c> then answers <c>closed</c>.</summary>
    public virtual bool IsClosed => false;

    /// <summary>Ready when <see cref="CheckWrite"/> is non-zero.</summary>
    public virtual Pollable Subscribe() => Pollable.Ready;
}

/// <summary>An output stream that hands every write to a sink (stdout, stderr).</summary>
internal sealed class SinkOutputStream(OutputSink? sink) : OutputStream
{
    public override bool Write(ReadOnlySpan<byte> bytes)
    {
        sink?.Invoke(bytes);
        return true;
    }
}

/// <summary>A <c>wasi:io/error</c> value: what failed, for <c>to-debug-string</c>, and the failure behind it, if any.</summary>
internal sealed record WasiError(string Message, Exception? Cause = null);

/// <summary>A WASI deadline (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) as a cancellation source for host waits.</summary>
internal static class WasiDeadline
{
    /// <summary>A source cancelled at <paramref name="deadline"/>, or <see langword="null"/> when there is none.</summary>
    public static CancellationTokenSource? Token(long? deadline) => deadline is null ? null : new CancellationTokenSource(Remaining(deadline));

    /// <summary>The time left until <paramref name="deadline"/> (zero once past), or infinite when there is none.</summary>
    public static TimeSpan Remaining(long? deadline) => deadline is { } at
        ? TimeSpan.FromSeconds((double)Math.Max(0, at - System.Diagnostics.Stopwatch.GetTimestamp()) / System.Diagnostics.Stopwatch.Frequency)
        : Timeout.InfiniteTimeSpan;
}
