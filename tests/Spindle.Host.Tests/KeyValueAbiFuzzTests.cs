using System.Buffers.Binary;
using System.Text;
using CsCheck;
using Spindle.Core;
using Wasmtime;

namespace Spindle.Host.Tests;

/// <summary>
/// Issue #6: the v1 <c>key-value</c> imports called with random pointers, lengths, handles and result areas, through a
/// guest that passes raw i32s straight through (tests/wasm/kv-trampolines.wat). Every call's outcome is predicted
/// from the bytes in the guest's memory and a model of the instance's handles and the stores: a call the ABI forbids
/// traps its instance (and nothing else: the next instance works); any other call returns what the model says.
/// CsCheck shrinks a failing sequence; pin such finds as facts below the property.
/// </summary>
public sealed class KeyValueAbiFuzzTests : IDisposable
{
    private const int MaxKeyBytes = 64;
    private const int MaxValueBytes = 256;
    private const int HandleCapacity = 4;
    private const int ResultArea = 256; // 16-byte result slots from here
    private const int ResultSlots = 32;
    private const int DataArea = 1024; // where the test writes keys, names and values
    private const int TestArea = 32768; // the guest's allocator hands out addresses from here
    private const int CallsPerSequence = 100;
    private const int Sequences = 1070; // about 101,000 import calls (and some allocator switches)

    private static readonly string[] Granted = ["default", "other", "missing"];
    private static readonly string[] Defined = ["default", "other", "secret"];

    private readonly HostFixture _fixture = new();
    private readonly StoreRegistry _stores = new(new KeyValueLimits { MaxKeyBytes = MaxKeyBytes, MaxValueBytes = MaxValueBytes });
    private readonly WasmEngine _engine;
    private readonly CoreModuleGuest _component;
    private readonly Dictionary<string, Dictionary<string, byte[]>> _model = new(StringComparer.Ordinal);
    private int _calls;
    private int _importCalls;
    private int _traps;

    public KeyValueAbiFuzzTests()
    {
        var manager = new InMemoryStoreManager();
        foreach (var label in Defined)
        {
            _stores.Add(label, manager);
            _model[label] = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        }

        _engine = new WasmEngine(new HostOptions { StoreHandleCapacity = HandleCapacity }, _fixture.LoggerFactory);
        _component = _engine.LoadCoreModule("fuzz", _fixture.Wasm("kv-trampolines"), _stores.ForComponent(Granted));
    }

    private enum Outcome
    {
        Ok,
        Error,
        AbiTrap, // the host refuses the call: GuestFailure.AbiViolation
        GuestTrap, // the guest's own code traps (its allocator, called by the host): GuestFailure.Trap
    }

    [Fact]
    public void Random_calls_trap_only_their_instance_and_valid_calls_match_the_model()
    {
        GenCall.Array[CallsPerSequence].Sample(Run, iter: Sequences, threads: 1, seed: null);

        Assert.Equal(CallsPerSequence * Sequences, _calls);
        Assert.True(_importCalls >= 100_000, $"{_importCalls} import calls");
        Assert.InRange(_traps, _calls / 20, _calls - (_calls / 20)); // both kinds of call were made in bulk
        AssertStoresMatchModel();
        AssertFreshInstanceWorks();
    }

    // Found by the property: a result area that overlaps the key. The host must read every input before it writes
    // the result, or it looks up a key the guest never passed.
    [Fact]
    public void A_result_area_overlapping_the_key_still_reads_the_key_first()
    {
        _stores.Open("default").Set("kkkkkkkkkkkkkkkk", [7, 7]);

        var (tag, length) = _component.Invoke(live =>
        {
            var instance = live.Instance;
            var memory = instance.GetMemory("memory")!;
            const int Name = 64, Key = 128, Handle = 256;
            "default"u8.CopyTo(memory.GetSpan(Name, 7));
            instance.GetAction<int, int, int>("open")!(Name, 7, Handle);
            "kkkkkkkkkkkkkkkk"u8.CopyTo(memory.GetSpan(Key, 16));

            // ret_ptr == key_ptr: the 16-byte result is written over the 16-byte key.
            instance.GetAction<int, int, int, int>("get")!(memory.ReadInt32(Handle + 4), Key, 16, Key);
            return (memory.ReadByte(Key), memory.ReadInt32(Key + 8));
        });

        Assert.Equal(0, tag);
        Assert.Equal(2, length);
    }

    // Regression facts: hand-picked calls at the edges the property draws from at random.
    [Fact]
    public void A_result_area_partly_outside_memory_traps_before_the_write()
    {
        Run([
            new OpenCall(new Data("default"u8.ToArray()), new Slot(0)),
            new SetCall(new Opened(0), new Data("k"u8.ToArray()), new Data([1]), new RetNearEnd(8)),
        ]);
        Assert.Equal(1, _traps);
        Assert.Empty(_model["default"]);
        AssertStoresMatchModel();
    }

    [Fact]
    public void Lengths_and_pointers_that_wrap_or_are_negative_trap()
    {
        Run([
            new OpenCall(new Raw(1024, -1), new Slot(0)),
            new OpenCall(new Raw(-1, 2), new Slot(0)),
            new OpenCall(new NearEnd(0, 0), new Slot(0)), // empty name at the very end: in bounds, access denied
            new OpenCall(new NearEnd(0, 1), new Slot(0)),
            new OpenCall(new Data([0xC3]), new Slot(0)), // half a character
            new OpenCall(new Data([0xED, 0xA0, 0x80]), new Slot(0)), // an encoded surrogate
            new GetKeysCall(new RawHandle(0), new RawRet(-8)),
        ]);
        Assert.Equal(6, _traps);
    }

    [Fact]
    public void An_allocator_that_misbehaves_traps_only_when_the_host_needs_it()
    {
        Run([
            new OpenCall(new Data("default"u8.ToArray()), new Slot(0)),
            new SetCall(new Opened(0), new Data("k"u8.ToArray()), new Data([]), new Slot(1)),
            new AllocatorCall(1),
            new ExistsCall(new Opened(0), new Data("k"u8.ToArray()), new Slot(2)), // nothing to allocate
            new GetCall(new Opened(0), new Data("k"u8.ToArray()), new Slot(2)), // traps, though the value is empty (found by this fuzzer)
            new OpenCall(new Data("default"u8.ToArray()), new Slot(0)), // a new instance: handle 0 again, allocator sane
            new AllocatorCall(1),
            new GetKeysCall(new Opened(0), new Slot(3)), // traps: the pair array
            new AllocatorCall(2),
            new GetCall(new RawHandle(7), new Data("k"u8.ToArray()), new Slot(2)), // invalid-store: no allocation
            new OpenCall(new Data("default"u8.ToArray()), new Slot(0)),
            new GetCall(new Opened(0), new Data("k"u8.ToArray()), new Slot(2)), // traps in the guest's allocator
        ]);
        Assert.Equal(3, _traps);
        AssertFreshInstanceWorks();
    }

    [Fact]
    public void Handles_are_per_instance_and_the_table_fills_before_access_is_checked()
    {
        Run([
            .. Enumerable.Repeat<Call>(new OpenCall(new Data("other"u8.ToArray()), new Slot(0)), HandleCapacity),
            new OpenCall(new Data("secret"u8.ToArray()), new Slot(1)), // store-table-full, not access-denied
            new CloseCall(new Opened(2)),
            new OpenCall(new Data("secret"u8.ToArray()), new Slot(1)), // access-denied
            new OpenCall(new Data("missing"u8.ToArray()), new Slot(1)), // no-such-store
            new OpenCall(new Data("default"u8.ToArray()), new Slot(1)), // handle 4: ids are not reused
            new OpenCall(new Raw(0, -1), new Slot(0)), // trap: a new instance, handles start again at 0
            new GetCall(new RawHandle(4), new Data("k"u8.ToArray()), new Slot(2)), // invalid-store there
            new OpenCall(new Data("default"u8.ToArray()), new Slot(1)), // handle 0
        ]);
        Assert.Equal(1, _traps);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _stores.Dispose();
        _fixture.Dispose();
    }

    // Runs a sequence in as many instances as it takes: each trap ends one, and the rest run in a fresh one.
    private void Run(Call[] calls)
    {
        var next = 0;
        while (next < calls.Length)
        {
            var instance = new InstanceModel();
            Outcome? pending = null;
            try
            {
                _component.Invoke(live =>
                {
                    var guest = new Guest(live.Instance);
                    for (; next < calls.Length; next++)
                    {
                        pending = null;
                        Execute(guest, instance, calls[next], o => pending = o);
                    }

                    return 0;
                });
            }
            catch (GuestInvocationException ex)
            {
                _traps++;
                var call = calls[next];
                Assert.True(pending is Outcome.AbiTrap or Outcome.GuestTrap, $"{call} trapped ({ex.Message}) but the model expected {pending?.ToString() ?? "no call"}");
                Assert.Equal(pending == Outcome.AbiTrap ? GuestFailure.AbiViolation : GuestFailure.Trap, ex.Failure);
                next++;
            }
        }
    }

    // Predicts the call's outcome from the guest's memory and the model, makes it, and checks what came back.
    private void Execute(Guest guest, InstanceModel instance, Call call, Action<Outcome> expect)
    {
        _calls++;
        var cursor = DataArea;
        switch (call)
        {
            case AllocatorCall a:
                guest.SetAllocator(a.Mode);
                instance.AllocatorMode = a.Mode;
                return;
            case CloseCall c:
                _importCalls++;
                var closing = Handle(instance, c.Handle);
                expect(Outcome.Ok);
                guest.Close(closing);
                instance.Handles.Remove((uint)closing);
                return;
        }

        _importCalls++;
        var ret = Ret(guest, call.Ret);
        switch (call)
        {
            case OpenCall o:
                {
                    var (namePtr, nameLen) = Place(guest, o.Name, ref cursor);
                    var expected = PredictOpen(guest, instance, ret, namePtr, nameLen, out var label);
                    expect(expected.Outcome);
                    guest.Open(namePtr, nameLen, ret);
                    CheckResult(guest, instance, ret, expected);
                    if (expected.Outcome == Outcome.Ok)
                    {
                        var handle = instance.NextHandle++;
                        Assert.Equal((int)handle, guest.ReadInt32(ret + 4));
                        instance.Handles.Add(handle, label!);
                    }

                    break;
                }

            case KeyCall k:
                {
                    var handle = Handle(instance, k.Handle);
                    var (keyPtr, keyLen) = Place(guest, k.Key, ref cursor);
                    var (valuePtr, valueLen) = k is SetCall s ? Place(guest, s.Value, ref cursor) : (0, 0);
                    var value = guest.Read(valuePtr, valueLen); // before the call: the result area may overlap it
                    var expected = PredictKeyCall(guest, instance, ret, k, handle, keyPtr, keyLen, valuePtr, valueLen, out var store, out var key);
                    expect(expected.Outcome);
                    switch (k)
                    {
                        case GetCall:
                            guest.Get(handle, keyPtr, keyLen, ret);
                            break;
                        case SetCall:
                            guest.Set(handle, keyPtr, keyLen, valuePtr, valueLen, ret);
                            break;
                        case DeleteCall:
                            guest.Delete(handle, keyPtr, keyLen, ret);
                            break;
                        default:
                            guest.Exists(handle, keyPtr, keyLen, ret);
                            break;
                    }

                    CheckResult(guest, instance, ret, expected);
                    if (expected.Outcome == Outcome.Ok)
                    {
                        CheckKeyResult(guest, ret, k, store!, key!, value);
                    }

                    break;
                }

            case GetKeysCall g:
                {
                    var handle = Handle(instance, g.Handle);
                    var expected = PredictGetKeys(guest, instance, ret, handle, out var store);
                    expect(expected.Outcome);
                    guest.GetKeys(handle, ret);
                    CheckResult(guest, instance, ret, expected);
                    if (expected.Outcome == Outcome.Ok)
                    {
                        var array = guest.ReadInt32(ret + 4);
                        var count = guest.ReadInt32(ret + 8);
                        var keys = Enumerable.Range(0, count)
                            .Select(i => Encoding.UTF8.GetString(guest.Read(guest.ReadInt32(array + (i * 8)), guest.ReadInt32(array + (i * 8) + 4))))
                            .Order(StringComparer.Ordinal);
                        Assert.Equal(store!.Keys.Order(StringComparer.Ordinal), keys);
                    }

                    break;
                }
        }

        guest.Reset();
    }

    private static Expected Ok => new(Outcome.Ok, 0);

    // The order of checks is the host's: result area, then every string or list argument, then the handle and the
    // store's own errors; a result the host must place in guest memory needs the guest's allocator.
    private static Expected PredictOpen(Guest guest, InstanceModel instance, int ret, int namePtr, int nameLen, out string? label)
    {
        label = null;
        if (!guest.InBounds(ret, 16) || !guest.TryReadString(namePtr, nameLen, out label))
        {
            return new(Outcome.AbiTrap, 0);
        }

        return instance.Handles.Count >= HandleCapacity ? new(Outcome.Error, 0)
            : !Granted.Contains(label) ? new(Outcome.Error, 2)
            : !Defined.Contains(label) ? new(Outcome.Error, 1)
            : Ok;
    }

    private Expected PredictKeyCall(
        Guest guest, InstanceModel instance, int ret, KeyCall call, int handle, int keyPtr, int keyLen, int valuePtr, int valueLen,
        out Dictionary<string, byte[]>? store, out string? key)
    {
        store = null;
        if (!guest.InBounds(ret, 16) || !guest.TryReadString(keyPtr, keyLen, out key) || (call is SetCall && !guest.InBounds(valuePtr, valueLen)))
        {
            key = null;
            return new(Outcome.AbiTrap, 0);
        }

        if (!instance.Handles.TryGetValue((uint)handle, out var label))
        {
            return new(Outcome.Error, 3);
        }

        store = _model[label];
        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes || (call is SetCall && valueLen > MaxValueBytes))
        {
            return WithAllocation(instance, Outcome.Error, 5);
        }

        if (call is GetCall)
        {
            return store.TryGetValue(key, out var value) ? WithAllocation(instance, Outcome.Ok, 0) : new(Outcome.Error, 4);
        }

        return Ok;
    }

    private Expected PredictGetKeys(Guest guest, InstanceModel instance, int ret, int handle, out Dictionary<string, byte[]>? store)
    {
        store = null;
        if (!guest.InBounds(ret, 16))
        {
            return new(Outcome.AbiTrap, 0);
        }

        if (!instance.Handles.TryGetValue((uint)handle, out var label))
        {
            return new(Outcome.Error, 3);
        }

        store = _model[label];
        return WithAllocation(instance, Outcome.Ok, 0);
    }

    // A bad allocator traps the call when the host asks it for memory, even for an empty block: mode 2 traps itself,
    // and the host refuses mode 1's address outside memory.
    private static Expected WithAllocation(InstanceModel instance, Outcome outcome, byte tag) =>
        instance.AllocatorMode switch
        {
            2 => new(Outcome.GuestTrap, 0),
            1 => new(Outcome.AbiTrap, 0),
            _ => new(outcome, tag),
        };

    // Checks the ok/err byte and error tag.
    private static void CheckResult(Guest guest, InstanceModel instance, int ret, Expected expected)
    {
        Assert.True(expected.Outcome is Outcome.Ok or Outcome.Error, $"the call returned; the model expected {expected.Outcome}");
        Assert.Equal(expected.Outcome == Outcome.Ok ? 0 : 1, guest.ReadByte(ret));
        if (expected.Outcome == Outcome.Error)
        {
            Assert.Equal(expected.Tag, guest.ReadByte(ret + 4));
            if (expected.Tag == 5 && instance.AllocatorMode == 0)
            {
                var message = Encoding.UTF8.GetString(guest.Read(guest.ReadInt32(ret + 8), guest.ReadInt32(ret + 12)));
                Assert.Contains("exceeds", message, StringComparison.Ordinal);
            }
        }
    }

    private static void CheckKeyResult(Guest guest, int ret, KeyCall call, Dictionary<string, byte[]> store, string key, byte[] value)
    {
        switch (call)
        {
            case GetCall:
                var expected = store[key];
                Assert.Equal(expected.Length, guest.ReadInt32(ret + 8));
                Assert.Equal(expected, guest.Read(guest.ReadInt32(ret + 4), expected.Length));

                break;
            case SetCall:
                store[key] = value;
                break;
            case DeleteCall:
                store.Remove(key);
                break;
            default:
                Assert.Equal(store.ContainsKey(key) ? 1 : 0, guest.ReadByte(ret + 4));
                break;
        }
    }

    private static int Handle(InstanceModel instance, HandleArg arg) => arg switch
    {
        Opened o when instance.Handles.Count > 0 => (int)instance.Handles.Keys.ElementAt(o.Index % instance.Handles.Count),
        Opened o => o.Index,
        RawHandle r => r.Value,
        _ => throw new InvalidOperationException(),
    };

    private static int Ret(Guest guest, RetArg arg) => arg switch
    {
        Slot s => ResultArea + (16 * s.Index),
        RawRet r => r.Pointer,
        RetNearEnd n => (int)(guest.Length - (uint)n.Back),
        _ => throw new InvalidOperationException(),
    };

    private static (int Pointer, int Length) Place(Guest guest, Region region, ref int cursor)
    {
        switch (region)
        {
            case Data d:
                var pointer = cursor;
                guest.Write(pointer, d.Bytes);
                cursor += d.Bytes.Length;
                return (pointer, d.Bytes.Length);
            case Raw r:
                return (r.Pointer, r.Length);
            case NearEnd n:
                return ((int)(guest.Length - (uint)n.Back), n.Length);
            default:
                throw new InvalidOperationException();
        }
    }

    private void AssertStoresMatchModel()
    {
        foreach (var label in Defined)
        {
            var store = _stores.Open(label);
            var keys = store.ListKeys(limit: 10_000).Keys;
            Assert.Equal(_model[label].Keys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
            foreach (var key in keys)
            {
                Assert.Equal(_model[label][key], store.Get(key));
            }
        }
    }

    private void AssertFreshInstanceWorks()
    {
        var traps = _traps;
        Run([
            new OpenCall(new Data("default"u8.ToArray()), new Slot(0)),
            new SetCall(new Opened(0), new Data("fresh"u8.ToArray()), new Data("works"u8.ToArray()), new Slot(1)),
            new GetCall(new Opened(0), new Data("fresh"u8.ToArray()), new Slot(2)),
            new GetKeysCall(new Opened(0), new Slot(3)),
        ]);
        Assert.Equal(traps, _traps);
        Assert.Equal("works"u8.ToArray(), _stores.Open("default").Get("fresh"));
    }

    // Generators. Names and keys come from small pools so calls meet each other's data; raw ranges go anywhere.
    private static readonly Gen<byte[]> GenText = Gen.Frequency(
        (12, Gen.OneOf("", "a", "k", "key", "ü€😀", "default").Select(s => Encoding.UTF8.GetBytes(s))),
        (1, Gen.Const(Encoding.UTF8.GetBytes(new string('x', MaxKeyBytes)))),
        (1, Gen.Const(Encoding.UTF8.GetBytes(new string('x', MaxKeyBytes + 1)))),
        (1, Gen.OneOf<byte[]>([0xFF], [0xC3], [0x61, 0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0x80])),
        (1, Gen.Byte.Array[0, 8]));

    private static readonly Gen<byte[]> GenLabel = Gen.Frequency(
        (12, Gen.OneOf("default", "other").Select(s => Encoding.UTF8.GetBytes(s))),
        (3, Gen.OneOf("secret", "missing", "", "Default").Select(s => Encoding.UTF8.GetBytes(s))),
        (1, GenText));

    private static readonly Gen<int> GenPointer = Gen.Frequency(
        (2, Gen.Int),
        (2, Gen.Int[0, 70_000]),
        (1, Gen.OneOf(0, -1, int.MinValue, int.MaxValue, 65_536, 65_535, TestArea)));

    private static readonly Gen<int> GenLength = Gen.Frequency(
        (2, Gen.Int),
        (3, Gen.Int[0, 80]),
        (1, Gen.OneOf(0, -1, -16, int.MinValue, int.MaxValue, 65_536, MaxValueBytes + 1)));

    private static readonly Gen<Region> GenRegion = Gen.Frequency(
        (16, GenText.Select(b => (Region)new Data(b))),
        (1, Gen.Select(GenPointer, GenLength, (p, l) => (Region)new Raw(p, l))),
        (1, Gen.Select(Gen.Int[0, 20], Gen.Int[0, 20], (b, l) => (Region)new NearEnd(b, l))));

    private static readonly Gen<Region> GenNameRegion = Gen.Frequency(
        (16, GenLabel.Select(b => (Region)new Data(b))),
        (1, Gen.Select(GenPointer, GenLength, (p, l) => (Region)new Raw(p, l))),
        (1, Gen.Select(Gen.Int[0, 20], Gen.Int[0, 20], (b, l) => (Region)new NearEnd(b, l))));

    private static readonly Gen<Region> GenValueRegion = Gen.Frequency(
        (16, Gen.Frequency((8, Gen.Byte.Array[0, 8]), (1, Gen.Byte.Array[0, MaxValueBytes + 8])).Select(b => (Region)new Data(b))),
        (1, Gen.Select(GenPointer, GenLength, (p, l) => (Region)new Raw(p, l))),
        (1, Gen.Select(Gen.Int[0, 300], Gen.Int[0, 300], (b, l) => (Region)new NearEnd(b, l))));

    private static readonly Gen<HandleArg> GenHandle = Gen.Frequency(
        (16, Gen.Int[0, 7].Select(i => (HandleArg)new Opened(i))),
        (1, Gen.Int[-2, 8].Select(i => (HandleArg)new RawHandle(i))),
        (1, Gen.Int.Select(i => (HandleArg)new RawHandle(i))));

    private static readonly Gen<RetArg> GenRet = Gen.Frequency(
        (30, Gen.Int[0, ResultSlots - 1].Select(i => (RetArg)new Slot(i))),
        (1, Gen.Frequency((1, Gen.Int), (1, Gen.Int[0, TestArea - 16])).Select(p => (RetArg)new RawRet(p))),
        (1, Gen.Int[0, 40].Select(b => (RetArg)new RetNearEnd(b))));

    private static readonly Gen<Call> GenCall = Gen.Frequency(
        (3, Gen.Select(GenNameRegion, GenRet, (n, r) => (Call)new OpenCall(n, r))),
        (3, Gen.Select(GenHandle, GenRegion, GenRet, (h, k, r) => (Call)new GetCall(h, k, r))),
        (3, Gen.Select(GenHandle, GenRegion, GenValueRegion, GenRet, (h, k, v, r) => (Call)new SetCall(h, k, v, r))),
        (2, Gen.Select(GenHandle, GenRegion, GenRet, (h, k, r) => (Call)new DeleteCall(h, k, r))),
        (2, Gen.Select(GenHandle, GenRegion, GenRet, (h, k, r) => (Call)new ExistsCall(h, k, r))),
        (2, Gen.Select(GenHandle, GenRet, (h, r) => (Call)new GetKeysCall(h, r))),
        (1, GenHandle.Select(h => (Call)new CloseCall(h))),
        (1, Gen.Frequency((2, Gen.Const(0)), (1, Gen.Const(1)), (1, Gen.Const(2))).Select(m => (Call)new AllocatorCall(m))));

    /// <summary>How a (pointer, length) argument is made.</summary>
    private abstract record Region;

    /// <summary>These bytes, written to the data area.</summary>
    private sealed record Data(byte[] Bytes) : Region
    {
        public override string ToString() => $"Data([{Convert.ToHexString(Bytes)}])";
    }

    private sealed record Raw(int Pointer, int Length) : Region;

    /// <summary>A pointer <see cref="Back"/> bytes before the end of memory.</summary>
    private sealed record NearEnd(int Back, int Length) : Region;

    private abstract record HandleArg;

    /// <summary>One of the handles open in this instance (or the index itself when none is).</summary>
    private sealed record Opened(int Index) : HandleArg;

    private sealed record RawHandle(int Value) : HandleArg;

    private abstract record RetArg;

    private sealed record Slot(int Index) : RetArg;

    private sealed record RawRet(int Pointer) : RetArg;

    private sealed record RetNearEnd(int Back) : RetArg;

    private abstract record Call
    {
        public virtual RetArg Ret => new Slot(0);
    }

    private sealed record OpenCall(Region Name, RetArg Result) : Call
    {
        public override RetArg Ret => Result;
    }

    private abstract record KeyCall(HandleArg Handle, Region Key, RetArg Result) : Call
    {
        public override RetArg Ret => Result;
    }

    private sealed record GetCall(HandleArg Handle, Region Key, RetArg Result) : KeyCall(Handle, Key, Result);

    private sealed record SetCall(HandleArg Handle, Region Key, Region Value, RetArg Result) : KeyCall(Handle, Key, Result);

    private sealed record DeleteCall(HandleArg Handle, Region Key, RetArg Result) : KeyCall(Handle, Key, Result);

    private sealed record ExistsCall(HandleArg Handle, Region Key, RetArg Result) : KeyCall(Handle, Key, Result);

    private sealed record GetKeysCall(HandleArg Handle, RetArg Result) : Call
    {
        public override RetArg Ret => Result;
    }

    private sealed record CloseCall(HandleArg Handle) : Call;

    /// <summary>Makes the guest's allocator misbehave from here on in this instance.</summary>
    private sealed record AllocatorCall(int Mode) : Call;

    private readonly record struct Expected(Outcome Outcome, byte Tag);

    /// <summary>What the model knows of one instance.</summary>
    private sealed class InstanceModel
    {
        public Dictionary<uint, string> Handles { get; } = [];

        public uint NextHandle { get; set; }

        public int AllocatorMode { get; set; }
    }

    /// <summary>The trampoline guest's exports, and its memory as the host sees it.</summary>
    private sealed class Guest(Instance instance)
    {
        private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        private readonly Memory _memory = instance.GetMemory("memory")!;
        private readonly Action<int, int, int> _open = instance.GetAction<int, int, int>("open")!;
        private readonly Action<int, int, int, int> _get = instance.GetAction<int, int, int, int>("get")!;
        private readonly Function _set = instance.GetFunction("set")!; // six parameters: more than the typed wrappers take
        private readonly Action<int, int, int, int> _delete = instance.GetAction<int, int, int, int>("delete")!;
        private readonly Action<int, int, int, int> _exists = instance.GetAction<int, int, int, int>("exists")!;
        private readonly Action<int, int> _getKeys = instance.GetAction<int, int>("get_keys")!;
        private readonly Action<int> _close = instance.GetAction<int>("close")!;
        private readonly Action _reset = instance.GetAction("reset")!;
        private readonly Action<int> _setAllocator = instance.GetAction<int>("set_allocator")!;

        public ulong Length => (ulong)_memory.GetLength();

        public bool InBounds(int pointer, int length) => length >= 0 && (ulong)(uint)pointer + (uint)length <= Length;

        public bool TryReadString(int pointer, int length, out string text)
        {
            text = string.Empty;
            if (!InBounds(pointer, length))
            {
                return false;
            }

            try
            {
                text = StrictUtf8.GetString(Read(pointer, length));
                return true;
            }
            catch (DecoderFallbackException)
            {
                return false;
            }
        }

        public byte[] Read(int pointer, int length) =>
            InBounds(pointer, length) ? _memory.GetSpan(pointer, length).ToArray() : [];

        public byte ReadByte(int pointer) => _memory.ReadByte(pointer);

        public int ReadInt32(int pointer) => BinaryPrimitives.ReadInt32LittleEndian(_memory.GetSpan(pointer, 4));

        public void Write(int pointer, byte[] bytes) => bytes.CopyTo(_memory.GetSpan(pointer, bytes.Length));

        public void Open(int namePtr, int nameLen, int ret) => _open(namePtr, nameLen, ret);

        public void Get(int store, int keyPtr, int keyLen, int ret) => _get(store, keyPtr, keyLen, ret);

        public void Set(int store, int keyPtr, int keyLen, int valuePtr, int valueLen, int ret) => _set.Invoke(store, keyPtr, keyLen, valuePtr, valueLen, ret);

        public void Delete(int store, int keyPtr, int keyLen, int ret) => _delete(store, keyPtr, keyLen, ret);

        public void Exists(int store, int keyPtr, int keyLen, int ret) => _exists(store, keyPtr, keyLen, ret);

        public void GetKeys(int store, int ret) => _getKeys(store, ret);

        public void Close(int store) => _close(store);

        public void Reset() => _reset();

        public void SetAllocator(int mode) => _setAllocator(mode);
    }
}
