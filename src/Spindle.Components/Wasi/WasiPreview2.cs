using System.Diagnostics;
using System.Security.Cryptography;

namespace Spindle.Components.Wasi;

/// <summary>
/// WASI 0.2 as a server host needs it, for every 0.2.x version: <c>wasi:cli</c> (no environment, no arguments, empty
/// stdin, stdout/stderr to the instance's sinks, no terminals, exit traps), <c>wasi:clocks</c>, <c>wasi:random</c>,
/// <c>wasi:io</c> (error, poll, streams) and <c>wasi:filesystem</c> with no preopened directories, so every
/// descriptor call returns an error code. The resource types are public so other interfaces (wasi:http) can use them.
/// </summary>
public sealed class WasiPreview2
{
    private const string Version = "0.2.12";

    private static readonly string[] FilesystemErrorCodes =
    [
        "access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota", "exist", "file-too-large",
        "illegal-byte-sequence", "in-progress", "interrupted", "invalid", "io", "is-directory", "loop", "too-many-links",
        "message-size", "name-too-long", "no-device", "no-entry", "no-lock", "insufficient-memory", "insufficient-space",
        "not-directory", "not-empty", "not-recoverable", "unsupported", "no-tty", "no-such-device", "overflow",
        "not-permitted", "pipe", "read-only", "invalid-seek", "text-file-busy", "cross-device",
    ];

    private readonly List<HostInterface> _interfaces = [];

    /// <summary>Builds the definitions.</summary>
    public WasiPreview2()
    {
        var error = Interface("wasi:io/error");
        Error = error.DefineResource("error");
        error.DefineFunction("[method]error.to-debug-string", Func(ValType.String, ("self", ValType.Borrow(Error))), (_, a) => ((WasiError)a[0]!).Message);

        var poll = Interface("wasi:io/poll");
        Pollable = poll.DefineResource("pollable");
        poll.DefineFunction("[method]pollable.ready", Func(ValType.Bool, ("self", ValType.Borrow(Pollable))), (_, a) => ((Pollable)a[0]!).IsReady);
        poll.DefineFunction("[method]pollable.block", Func(null, ("self", ValType.Borrow(Pollable))), (i, a) =>
        {
            Wait(i, [(Pollable)a[0]!]);
            return null;
        });
        poll.DefineFunction("poll", Func(ValType.List(ValType.U32), ("in", ValType.List(ValType.Borrow(Pollable)))), (i, a) =>
        {
            var pollables = ((object?[])a[0]!).Cast<Pollable>().ToArray();
            if (pollables.Length == 0)
            {
                throw new ComponentTrapException("wasi:io/poll poll was called with an empty list");
            }

            Wait(i, pollables);
            var ready = new List<object?>();
            for (var p = 0; p < pollables.Length; p++)
            {
                if (pollables[p].IsReady)
                {
                    ready.Add((uint)p);
                }
            }

            return ready.ToArray();
        });

        var streams = Interface("wasi:io/streams");
        streams.AddResource("error", Error);
        streams.AddResource("pollable", Pollable);
        InputStream = streams.DefineResource("input-stream");
        OutputStream = streams.DefineResource("output-stream");
        StreamError = ValType.Variant(("last-operation-failed", ValType.Own(Error)), ("closed", null));
        DefineInputStream(streams);
        DefineOutputStream(streams);

        var environment = Interface("wasi:cli/environment");
        environment.DefineFunction("get-environment", Func(ValType.List(ValType.Tuple(ValType.String, ValType.String))), (_, _) => Array.Empty<object?>());
        environment.DefineFunction("get-arguments", Func(ValType.List(ValType.String)), (_, _) => Array.Empty<object?>());
        environment.DefineFunction("initial-cwd", Func(ValType.Option(ValType.String)), (_, _) => Variant.None);

        var exit = Interface("wasi:cli/exit");
        exit.DefineFunction("exit", Func(null, ("status", ValType.Result(null, null))), (_, a) => throw new WasiExitException(((Variant)a[0]!).Case));
        exit.DefineFunction("exit-with-code", Func(null, ("status-code", ValType.U8)), (_, a) => throw new WasiExitException((byte)a[0]!));

        Interface("wasi:cli/stdin", InputStream).DefineFunction("get-stdin", Func(ValType.Own(InputStream)), (_, _) => Wasi.InputStream.Empty);
        Interface("wasi:cli/stdout", OutputStream).DefineFunction("get-stdout", Func(ValType.Own(OutputStream)), (i, _) => new SinkOutputStream(Context(i)?.Stdout));
        Interface("wasi:cli/stderr", OutputStream).DefineFunction("get-stderr", Func(ValType.Own(OutputStream)), (i, _) => new SinkOutputStream(Context(i)?.Stderr));

        var terminalInput = Interface("wasi:cli/terminal-input").DefineResource("terminal-input");
        var terminalOutput = Interface("wasi:cli/terminal-output").DefineResource("terminal-output");
        Interface("wasi:cli/terminal-stdin", ("terminal-input", terminalInput))
            .DefineFunction("get-terminal-stdin", Func(ValType.Option(ValType.Own(terminalInput))), (_, _) => Variant.None);
        Interface("wasi:cli/terminal-stdout", ("terminal-output", terminalOutput))
            .DefineFunction("get-terminal-stdout", Func(ValType.Option(ValType.Own(terminalOutput))), (_, _) => Variant.None);
        Interface("wasi:cli/terminal-stderr", ("terminal-output", terminalOutput))
            .DefineFunction("get-terminal-stderr", Func(ValType.Option(ValType.Own(terminalOutput))), (_, _) => Variant.None);

        var monotonic = Interface("wasi:clocks/monotonic-clock", Pollable);
        monotonic.DefineFunction("now", Func(ValType.U64), (_, _) => MonotonicNanoseconds());
        monotonic.DefineFunction("resolution", Func(ValType.U64), (_, _) => Math.Max(1UL, 1_000_000_000UL / (ulong)Stopwatch.Frequency));
        monotonic.DefineFunction("subscribe-instant", Func(ValType.Own(Pollable), ("when", ValType.U64)), (_, a) =>
            new TimerPollable(TimestampAfter((ulong)a[0]! > MonotonicNanoseconds() ? (ulong)a[0]! - MonotonicNanoseconds() : 0)));
        monotonic.DefineFunction("subscribe-duration", Func(ValType.Own(Pollable), ("when", ValType.U64)), (_, a) => new TimerPollable(TimestampAfter((ulong)a[0]!)));

        var wall = Interface("wasi:clocks/wall-clock");
        var datetime = ValType.Record(("seconds", ValType.U64), ("nanoseconds", ValType.U32));
        wall.DefineFunction("now", Func(datetime), (_, _) =>
        {
            var ticks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
            return new object?[] { (ulong)(ticks / TimeSpan.TicksPerSecond), (uint)(ticks % TimeSpan.TicksPerSecond * 100) };
        });
        wall.DefineFunction("resolution", Func(datetime), (_, _) => new object?[] { 0UL, 100u });

        var random = Interface("wasi:random/random");
        random.DefineFunction("get-random-bytes", Func(ValType.Bytes, ("len", ValType.U64)), (_, a) => RandomNumberGenerator.GetBytes(RandomLength(a[0])));
        random.DefineFunction("get-random-u64", Func(ValType.U64), (_, _) => BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
        var insecure = Interface("wasi:random/insecure");
        insecure.DefineFunction("get-insecure-random-bytes", Func(ValType.Bytes, ("len", ValType.U64)), (_, a) =>
        {
            var bytes = new byte[RandomLength(a[0])];
            Random.Shared.NextBytes(bytes);
            return bytes;
        });
        insecure.DefineFunction("get-insecure-random-u64", Func(ValType.U64), (_, _) => (ulong)Random.Shared.NextInt64());
        Interface("wasi:random/insecure-seed").DefineFunction("insecure-seed", Func(ValType.Tuple(ValType.U64, ValType.U64)), (_, _) =>
            new object?[] { (ulong)Random.Shared.NextInt64(), (ulong)Random.Shared.NextInt64() });

        DefineFilesystem();
    }

    /// <summary>The interfaces, to add to a <see cref="HostDefinitions"/>.</summary>
    public IReadOnlyList<HostInterface> Interfaces => _interfaces;

    /// <summary><c>wasi:io/error</c> <c>error</c>.</summary>
    public ResourceType Error { get; }

    /// <summary><c>wasi:io/poll</c> <c>pollable</c>: a <see cref="Wasi.Pollable"/>.</summary>
    public ResourceType Pollable { get; }

    /// <summary><c>wasi:io/streams</c> <c>input-stream</c>: an <see cref="Wasi.InputStream"/>.</summary>
    public ResourceType InputStream { get; }

    /// <summary><c>wasi:io/streams</c> <c>output-stream</c>: an <see cref="Wasi.OutputStream"/>.</summary>
    public ResourceType OutputStream { get; }

    /// <summary><c>wasi:io/streams</c> <c>stream-error</c>.</summary>
    public VariantType StreamError { get; }

    /// <summary>Adds every interface to <paramref name="definitions"/>.</summary>
    public HostDefinitions AddTo(HostDefinitions definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        foreach (var definition in _interfaces)
        {
            definitions.Add(definition);
        }

        return definitions;
    }

    private static WasiContext? Context(ComponentInstance instance) => (instance.State as IWasiState)?.Wasi;

    private static FunctionType Func(ValType? result, params (string Name, ValType Type)[] parameters) =>
        new([.. parameters.Select(p => new Field(p.Name, p.Type))], result);

    private static ulong MonotonicNanoseconds() => (ulong)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    private static long TimestampAfter(ulong nanoseconds)
    {
        var ticks = nanoseconds / 1_000_000_000.0 * Stopwatch.Frequency;
        var now = Stopwatch.GetTimestamp();
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    // A guest may ask for up to 2^64 bytes; a server guest gets at most 1 MiB per call rather than a host crash.
    private static int RandomLength(object? requested) =>
        (ulong)requested! <= 1 << 20 ? (int)(ulong)requested! : throw new ComponentTrapException($"asked for {(ulong)requested!} random bytes in one call; the host gives at most 1 MiB");

    // Blocks the guest's thread until one pollable is ready; past the instance's deadline it traps instead.
    private static void Wait(ComponentInstance instance, Pollable[] pollables)
    {
        var deadline = Context(instance)?.Deadline;
        while (!pollables.Any(p => p.IsReady))
        {
            var next = pollables.Select(p => p.ReadyAt).Where(t => t is not null).Min();
            var now = Stopwatch.GetTimestamp();
            if (deadline is { } limit && now >= limit)
            {
                throw new ComponentTrapException("the guest waited (wasi:io/poll) past its deadline");
            }

            // Pollables backed by a task (an outgoing response, a body read) wake the wait at once; others are
            // looked at again every 10 ms, timers at their time.
            var tasks = pollables.Select(p => p.WhenReady).OfType<Task>().ToArray();
            var until = Math.Min(next ?? now + (tasks.Length > 0 ? Stopwatch.Frequency / 10 : Stopwatch.Frequency / 100), deadline ?? long.MaxValue);
            var sleep = TimeSpan.FromSeconds((double)Math.Max(0, until - now) / Stopwatch.Frequency);
            sleep = sleep > TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : sleep;
            if (tasks.Length > 0)
            {
#pragma warning disable VSTHRD002 // a guest thread waits for its pollables (docs/threading.md)
                Task.WaitAny(tasks, sleep);
#pragma warning restore VSTHRD002
            }
            else
            {
                Thread.Sleep(sleep);
            }
        }
    }

    private HostInterface Interface(string name, params ResourceType[] uses)
    {
        var definition = new HostInterface($"{name}@{Version}");
        foreach (var type in uses)
        {
            definition.AddResource(type.Name, type);
        }

        _interfaces.Add(definition);
        return definition;
    }

    private HostInterface Interface(string name, (string Name, ResourceType Type) use)
    {
        var definition = new HostInterface($"{name}@{Version}");
        definition.AddResource(use.Name, use.Type);
        _interfaces.Add(definition);
        return definition;
    }

    private void DefineInputStream(HostInterface streams)
    {
        var self = ("self", (ValType)ValType.Borrow(InputStream));
        var readResult = ValType.Result(ValType.Bytes, StreamError);
        streams.DefineFunction("[method]input-stream.read", Func(readResult, self, ("len", ValType.U64)), (_, a) => Read((InputStream)a[0]!, (ulong)a[1]!, null));
        streams.DefineFunction("[method]input-stream.blocking-read", Func(readResult, self, ("len", ValType.U64)), (i, a) =>
            Read((InputStream)a[0]!, (ulong)a[1]!, Context(i)?.Deadline ?? long.MaxValue));
        var skipResult = ValType.Result(ValType.U64, StreamError);
        streams.DefineFunction("[method]input-stream.skip", Func(skipResult, self, ("len", ValType.U64)), (_, a) => Skip((InputStream)a[0]!, (ulong)a[1]!, null));
        streams.DefineFunction("[method]input-stream.blocking-skip", Func(skipResult, self, ("len", ValType.U64)), (i, a) =>
            Skip((InputStream)a[0]!, (ulong)a[1]!, Context(i)?.Deadline ?? long.MaxValue));
        streams.DefineFunction("[method]input-stream.subscribe", Func(ValType.Own(Pollable), self), (_, a) => ((InputStream)a[0]!).Subscribe());
    }

    private static Variant Read(InputStream stream, ulong length, long? deadline)
    {
        var buffer = new byte[(int)Math.Min(length, 1 << 20)];
        int read;
        try
        {
            read = deadline is null ? stream.Read(buffer) : stream.BlockingRead(buffer, deadline);
        }
        catch (WasiStreamException ex)
        {
            return Variant.Err(new Variant(0, new WasiError(ex.Message, ex.InnerException)));
        }

        return read < 0 ? Variant.Err(new Variant(1, null)) : Variant.Ok(read == buffer.Length ? buffer : buffer[..read]);
    }

    private static Variant Skip(InputStream stream, ulong length, long? deadline) => Read(stream, length, deadline) switch
    {
        { Case: 0, Payload: byte[] bytes } => Variant.Ok((ulong)bytes.Length),
        var failed => failed,
    };

    private void DefineOutputStream(HostInterface streams)
    {
        var self = ("self", (ValType)ValType.Borrow(OutputStream));
        var unit = ValType.Result(null, StreamError);
        var closed = Variant.Err(new Variant(1, null));
        streams.DefineFunction("[method]output-stream.check-write", Func(ValType.Result(ValType.U64, StreamError), self), (_, a) =>
            a[0] is OutputStream { IsClosed: true } ? closed : Variant.Ok(((OutputStream)a[0]!).CheckWrite()));
        streams.DefineFunction("[method]output-stream.write", Func(unit, self, ("contents", ValType.Bytes)), (_, a) =>
            ((OutputStream)a[0]!).Write((byte[])a[1]!) ? Variant.OkUnit : closed);
        streams.DefineFunction("[method]output-stream.blocking-write-and-flush", Func(unit, self, ("contents", ValType.Bytes)), (_, a) =>
        {
            var stream = (OutputStream)a[0]!;
            return stream.Write((byte[])a[1]!) && stream.BlockingFlush() ? Variant.OkUnit : closed;
        });
        streams.DefineFunction("[method]output-stream.flush", Func(unit, self), (_, a) => ((OutputStream)a[0]!).Flush() ? Variant.OkUnit : closed);
        streams.DefineFunction("[method]output-stream.blocking-flush", Func(unit, self), (_, a) => ((OutputStream)a[0]!).BlockingFlush() ? Variant.OkUnit : closed);
        streams.DefineFunction("[method]output-stream.subscribe", Func(ValType.Own(Pollable), self), (_, a) => ((OutputStream)a[0]!).Subscribe());
        streams.DefineFunction("[method]output-stream.write-zeroes", Func(unit, self, ("len", ValType.U64)), (_, a) =>
            ((OutputStream)a[0]!).Write(new byte[(int)Math.Min((ulong)a[1]!, 1 << 20)]) ? Variant.OkUnit : closed);
        streams.DefineFunction("[method]output-stream.blocking-write-zeroes-and-flush", Func(unit, self, ("len", ValType.U64)), (_, a) =>
        {
            var stream = (OutputStream)a[0]!;
            return stream.Write(new byte[(int)Math.Min((ulong)a[1]!, 1 << 20)]) && stream.BlockingFlush() ? Variant.OkUnit : closed;
        });
        var splice = Func(ValType.Result(ValType.U64, StreamError), self, ("src", ValType.Borrow(InputStream)), ("len", ValType.U64));
        HostFunctionBody spliceBody = (_, a) =>
        {
            var buffer = new byte[(int)Math.Min((ulong)a[2]!, 1 << 20)];
            var read = ((InputStream)a[1]!).Read(buffer);
            if (read < 0)
            {
                return closed;
            }

            return ((OutputStream)a[0]!).Write(buffer.AsSpan(0, read)) ? Variant.Ok((ulong)read) : closed;
        };
        streams.DefineFunction("[method]output-stream.splice", splice, spliceBody);
        streams.DefineFunction("[method]output-stream.blocking-splice", splice, spliceBody);
    }

    private void DefineFilesystem()
    {
        var types = Interface("wasi:filesystem/types", Error, InputStream, OutputStream);
        var descriptor = types.DefineResource("descriptor");
        types.DefineResource("directory-entry-stream");
        var errorCode = ValType.Enum(FilesystemErrorCodes);
        types.DefineFunction("filesystem-error-code", Func(ValType.Option(errorCode), ("err", ValType.Borrow(Error))), (_, _) => Variant.None);

        // No descriptor can ever reach the guest (there are no preopens), but a guest may still import and call any
        // descriptor function: each one whose result is result<_, error-code> answers bad-descriptor.
        var badDescriptor = Array.IndexOf(FilesystemErrorCodes, "bad-descriptor");
        types.DefineFallback((name, type) =>
            type.Result is ResultType { Error: EnumType e } && e.Cases.Contains("bad-descriptor")
                ? (_, _) => Variant.Err(badDescriptor)
                : null);

        Interface("wasi:filesystem/preopens", descriptor)
            .DefineFunction("get-directories", Func(ValType.List(ValType.Tuple(ValType.Own(descriptor), ValType.String))), (_, _) => Array.Empty<object?>());
    }
}
