using System.Text;
using CsCheck;

namespace Spindle.Components.Tests;

/// <summary>
/// CsCheck generators of values of any (resource-free) component type in Spindle's .NET representation, biased
/// towards the edges: wrap-arounds, NaN, -0 and infinities, the scalar values next to the surrogates and the last
/// one, multi-byte UTF-8, empty strings and lists.
/// </summary>
internal static class ValueGen
{
    private static readonly Gen<Rune> AnyRune = Gen.Frequency(
        (4, Gen.Int[0x20, 0x7e].Select(v => new Rune(v))),
        (3, Gen.Int[0, 0x10FFFF - 0x800].Select(v => new Rune(v >= 0xD800 ? v + 0x800 : v))),
        (2, Gen.OneOf(
            // The ends and the surrogate gap (and their neighbours, which next-char steps onto), and UTF-8's length steps.
            [0, 0xD7FE, 0xD7FF, 0xE000, 0x10FFFE, 0x10FFFF, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0xE9, 0x1F600]).Select(v => new Rune(v))));

    private static readonly Gen<string> AnyString = Gen.Frequency(
        (8, AnyRune.Array[0, 16].Select(Concat)),
        (1, AnyRune.Array[200, 600].Select(Concat)),
        (1, Gen.Const(string.Empty)));

    private static readonly Gen<byte[]> AnyBytes = Gen.Frequency(
        (8, Gen.Byte.Array[0, 48]),
        (1, Gen.Byte.Array[500, 3000]),
        (1, Gen.Const(Array.Empty<byte>())));

    public static Gen<object?> For(ValType type) => type switch
    {
        PrimitiveType p => Primitive(p.Kind),
        ListType { IsBytes: true } => AnyBytes.Select(b => (object?)b),
        ListType list => Gen.Frequency((6, For(list.Element).Array[0, 5]), (1, For(list.Element).Array[0, 40])).Select(a => (object?)a),
        RecordType record => Sequence([.. record.Fields.Select(f => f.Type)]).Select(a => (object?)a),
        TupleType tuple => Sequence([.. tuple.Elements]).Select(a => (object?)a),
        VariantType variant => Cases([.. variant.Cases.Select(c => c.Type)]),
        OptionType option => Cases([null, option.Payload]),
        ResultType result => Cases([result.Ok, result.Error]),
        EnumType e => Gen.Int[0, e.Cases.Count - 1].Select(i => (object?)i),
        FlagsType f => Gen.UInt.Select(bits => (object?)(bits & (f.Names.Count == 32 ? uint.MaxValue : (1u << f.Names.Count) - 1))),
        _ => throw new ArgumentException($"no generator for {type}", nameof(type)),
    };

    /// <summary>Values of each type in order, as one <see cref="object"/>[].</summary>
    public static Gen<object?[]> Sequence(IReadOnlyList<ValType> types) =>
        types.Aggregate(Gen.Const(Array.Empty<object?>()), (acc, t) => Gen.Select(acc, For(t), (a, v) => (object?[])[.. a, v]));

    private static string Concat(Rune[] runes)
    {
        var text = new StringBuilder();
        foreach (var rune in runes)
        {
            text.Append(rune.ToString());
        }

        return text.ToString();
    }

    private static Gen<object?> Cases(ValType?[] cases) =>
        Gen.OneOf([.. cases.Select((payload, i) => payload is null
            ? Gen.Const((object?)new Variant(i, null))
            : For(payload).Select(p => (object?)new Variant(i, p)))]);

    private static Gen<object?> Primitive(PrimitiveKind kind) => kind switch
    {
        PrimitiveKind.Bool => Gen.Bool.Select(v => (object?)v),
        PrimitiveKind.S8 => Edged(Gen.SByte, sbyte.MinValue, sbyte.MaxValue, (sbyte)-1, (sbyte)0),
        PrimitiveKind.U8 => Edged(Gen.Byte, byte.MinValue, byte.MaxValue),
        PrimitiveKind.S16 => Edged(Gen.Short, short.MinValue, short.MaxValue, (short)-1, (short)0),
        PrimitiveKind.U16 => Edged(Gen.UShort, ushort.MinValue, ushort.MaxValue),
        PrimitiveKind.S32 => Edged(Gen.Int, int.MinValue, int.MaxValue, -1, 0),
        PrimitiveKind.U32 => Edged(Gen.UInt, uint.MinValue, uint.MaxValue, 0x8000_0000u),
        PrimitiveKind.S64 => Edged(Gen.Long, long.MinValue, long.MaxValue, -1L, 0L, int.MaxValue + 1L),
        PrimitiveKind.U64 => Edged(Gen.ULong, ulong.MinValue, ulong.MaxValue, 1UL << 63, (ulong)uint.MaxValue),
        PrimitiveKind.F32 => Gen.Frequency(
            (4, Gen.Float.Select(v => (object?)v)),
            (1, Gen.UInt.Select(bits => (object?)BitConverter.UInt32BitsToSingle(bits))),
            (1, Gen.OneOf(Gen.Const(0f), Gen.Const(-0f), Gen.Const(float.NaN), Gen.Const(float.PositiveInfinity), Gen.Const(float.NegativeInfinity), Gen.Const(float.Epsilon), Gen.Const(float.MaxValue)).Select(v => (object?)v))),
        PrimitiveKind.F64 => Gen.Frequency(
            (4, Gen.Double.Select(v => (object?)v)),
            (1, Gen.ULong.Select(bits => (object?)BitConverter.UInt64BitsToDouble(bits))),
            (1, Gen.OneOf(Gen.Const(0d), Gen.Const(-0d), Gen.Const(double.NaN), Gen.Const(double.PositiveInfinity), Gen.Const(double.NegativeInfinity), Gen.Const(double.Epsilon), Gen.Const(double.MaxValue)).Select(v => (object?)v))),
        PrimitiveKind.Char => AnyRune.Select(r => (object?)r),
        _ => AnyString.Select(s => (object?)s),
    };

    private static Gen<object?> Edged<T>(Gen<T> any, params T[] edges) =>
        Gen.Frequency((5, any.Select(v => (object?)v)), (1, Gen.OneOf(edges).Select(v => (object?)v)));
}
