using System.Text;
using CsCheck;
using Spindle.Components.Binary;
using Spindle.Components.Runtime;

namespace Spindle.Components.Tests;

// Issue #8: the Canonical ABI both ways on a real Wasmtime memory, for generated types and values.
public sealed class CanonicalAbiTests : IDisposable
{
    private readonly TestMemory _memory = new();

    public void Dispose() => _memory.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Store_then_load_gives_the_value_back(int encodingIndex)
    {
        var encoding = (StringEncoding)encodingIndex;
        Gen.Int.Sample(seed =>
        {
            var random = new Random(seed);
            var type = AbiValues.RandomType(random);
            var value = AbiValues.RandomValue(random, type);
            var cx = _memory.Context(encoding);
            var pointer = cx.Memory.Allocate(type.Abi.Alignment, type.Abi.Size);
            CanonicalAbi.Store(cx, type, value, pointer);
            var loaded = CanonicalAbi.Load(cx, type, pointer);
            Assert.True(AbiValues.Same(value, loaded), $"{type}: stored {Describe(value)}, loaded {Describe(loaded)}");
        }, iter: 1500, threads: 1); // one Wasmtime store: never from two threads
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Lower_then_lift_through_flat_values_gives_the_value_back(int encodingIndex)
    {
        var encoding = (StringEncoding)encodingIndex;
        Gen.Int.Sample(seed =>
        {
            var random = new Random(seed);
            var type = AbiValues.RandomType(random);
            var value = AbiValues.RandomValue(random, type);
            var cx = _memory.Context(encoding);
            var flat = new ulong[type.Abi.Flat.Length];
            var written = 0;
            CanonicalAbi.LowerFlat(cx, type, value, flat, ref written);
            Assert.Equal(flat.Length, written);
            var read = 0;
            var lifted = CanonicalAbi.LiftFlat(cx, type, flat, ref read);
            Assert.Equal(flat.Length, read);
            Assert.True(AbiValues.Same(value, lifted), $"{type}: lowered {Describe(value)}, lifted {Describe(lifted)}");
        }, iter: 1500, threads: 1); // one Wasmtime store: never from two threads
    }

    [Fact]
    public void A_list_of_bytes_is_copied_in_one_piece()
    {
        var cx = _memory.Context();
        var bytes = new byte[1 << 20];
        new Random(7).NextBytes(bytes);
        var flat = new ulong[2];
        var i = 0;
        CanonicalAbi.LowerFlat(cx, ValType.Bytes, bytes, flat, ref i);
        Assert.Equal((ulong)bytes.Length, flat[1]);
        Assert.True(cx.Memory.Span((int)flat[0], bytes.Length).SequenceEqual(bytes));
    }

    [Fact]
    public void Strings_use_latin1_when_they_can_and_tag_utf16_when_they_cannot()
    {
        var cx = _memory.Context(StringEncoding.Latin1Utf16);
        var flat = new ulong[2];
        var i = 0;
        CanonicalAbi.LowerFlat(cx, ValType.String, "café", flat, ref i);
        Assert.Equal(4UL, flat[1]);
        i = 0;
        CanonicalAbi.LowerFlat(cx, ValType.String, "caf€", flat, ref i);
        Assert.Equal(4UL | (1UL << 31), flat[1]);
    }

    [Fact]
    public void Invalid_utf8_from_the_guest_traps()
    {
        var cx = _memory.Context();
        var pointer = cx.Memory.Allocate(1, 2);
        cx.Memory.Span(pointer, 2)[0] = 0xFF;
        cx.Memory.Span(pointer, 2)[1] = 0xFE;
        var i = 0;
        var ex = Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.String, [(ulong)pointer, 2], ref i));
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_bounds_pointer_or_length_traps()
    {
        var cx = _memory.Context();
        var i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.String, [0xFFFF_FF00UL, 64], ref i));
        i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.Bytes, [16UL, 0xFFFF_FFFFUL], ref i));
        i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.List(ValType.U64), [16UL, 0x2000_0000UL], ref i));
    }

    [Fact]
    public void A_misaligned_list_pointer_traps()
    {
        var cx = _memory.Context();
        var i = 0;
        var ex = Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.List(ValType.U32), [17UL, 1], ref i));
        Assert.Contains("aligned", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_variant_tag_out_of_range_traps()
    {
        var cx = _memory.Context();
        var type = ValType.Variant(("a", null), ("b", ValType.U32));
        var i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, type, [2UL, 0], ref i));
        var pointer = cx.Memory.Allocate(4, 8);
        cx.Memory.WriteU8(pointer, 9);
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.Load(cx, ValType.Option(ValType.U32), pointer));
        i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.Enum("x", "y"), [2UL], ref i));
    }

    [Fact]
    public void A_char_that_is_not_a_unicode_scalar_traps()
    {
        var cx = _memory.Context();
        var i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.Char, [0xD800UL], ref i));
        i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.Char, [0x110000UL], ref i));
    }

    [Fact]
    public void Nans_cross_as_the_canonical_nan()
    {
        var cx = _memory.Context();
        var i = 0;
        var lifted = (float)CanonicalAbi.LiftFlat(cx, ValType.F32, [0x7fc0_1234UL], ref i)!;
        Assert.Equal(0x7fc00000u, BitConverter.SingleToUInt32Bits(lifted));
    }

    [Fact]
    public void Using_a_dropped_handle_or_one_of_another_type_traps()
    {
        var cx = _memory.Context();
        var store = ResourceType.Host("store");
        var other = ResourceType.Host("other");
        var flat = new ulong[1];
        var i = 0;
        CanonicalAbi.LowerFlat(cx, ValType.Own(store), new object(), flat, ref i);
        i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.Borrow(other), flat, ref i));
        i = 0;
        CanonicalAbi.LiftFlat(cx, ValType.Own(store), flat, ref i);
        i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.Borrow(store), flat, ref i));
        i = 0;
        Assert.Throws<ComponentTrapException>(() => CanonicalAbi.LiftFlat(cx, ValType.Borrow(store), [0UL], ref i));
    }

    [Fact]
    public void A_lent_handle_cannot_be_dropped_until_the_call_returns()
    {
        var cx = _memory.Context();
        var store = ResourceType.Host("store");
        var handle = _memory.Handles.Add(new HandleEntry(store, new object(), own: true, scope: null));
        var i = 0;
        CanonicalAbi.LiftFlat(cx, ValType.Borrow(store), [(ulong)handle], ref i);
        Assert.Throws<ComponentTrapException>(() => _memory.Handles.Remove(handle, store));
        cx.ReleaseLends();
        _memory.Handles.Remove(handle, store);
        Assert.Equal(0, _memory.Handles.Count);
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        byte[] bytes => $"bytes[{Convert.ToHexString(bytes)}]",
        object?[] items => "[" + string.Join(", ", items.Select(Describe)) + "]",
        Variant v => $"case{v.Case}({Describe(v.Payload)})",
        string s => $"\"{s}\"({Convert.ToHexString(Encoding.UTF8.GetBytes(s))})",
        _ => $"{value}:{value.GetType().Name}",
    };
}
