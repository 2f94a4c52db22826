using System.Text;

namespace Spindle.Components.Tests;

/// <summary>Random component types and values of them, and deep equality of values.</summary>
internal static class AbiValues
{
    public static ValType RandomType(Random random, int depth = 0)
    {
        var leaf = depth >= 3 || random.Next(3) == 0;
        if (leaf)
        {
            return random.Next(14) switch
            {
                0 => ValType.Bool,
                1 => ValType.S8,
                2 => ValType.U8,
                3 => ValType.S16,
                4 => ValType.U16,
                5 => ValType.S32,
                6 => ValType.U32,
                7 => ValType.S64,
                8 => ValType.U64,
                9 => ValType.F32,
                10 => ValType.F64,
                11 => ValType.Char,
                12 => ValType.String,
                _ => ValType.Bytes,
            };
        }

        return random.Next(9) switch
        {
            0 => ValType.List(RandomType(random, depth + 1)),
            1 => ValType.Record([.. Enumerable.Range(0, random.Next(1, 5)).Select(i => ($"f{i}", RandomType(random, depth + 1)))]),
            2 => ValType.Tuple([.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomType(random, depth + 1))]),
            3 => ValType.Variant([.. Enumerable.Range(0, random.Next(1, 5)).Select(i => ($"c{i}", random.Next(3) == 0 ? null : RandomType(random, depth + 1)))]),
            4 => ValType.Enum([.. Enumerable.Range(0, random.Next(1, 300)).Select(i => $"e{i}")]),
            5 => ValType.Option(RandomType(random, depth + 1)),
            6 => ValType.Result(random.Next(3) == 0 ? null : RandomType(random, depth + 1), random.Next(3) == 0 ? null : RandomType(random, depth + 1)),
            7 => ValType.Flags([.. Enumerable.Range(0, random.Next(1, 33)).Select(i => $"g{i}")]),
            _ => RandomType(random, depth + 1),
        };
    }

    public static object? RandomValue(Random random, ValType type, bool latin1Only = false) => type switch
    {
        PrimitiveType p => p.Kind switch
        {
            PrimitiveKind.Bool => random.Next(2) == 1,
            PrimitiveKind.S8 => (sbyte)random.Next(),
            PrimitiveKind.U8 => (byte)random.Next(),
            PrimitiveKind.S16 => (short)random.Next(),
            PrimitiveKind.U16 => (ushort)random.Next(),
            PrimitiveKind.S32 => random.Next() - random.Next(),
            PrimitiveKind.U32 => (uint)random.NextInt64(),
            PrimitiveKind.S64 => random.NextInt64() - random.NextInt64(),
            PrimitiveKind.U64 => (ulong)random.NextInt64() * 3,
            PrimitiveKind.F32 => random.Next(10) == 0 ? float.NaN : (float)(random.NextDouble() * 1e6 - 5e5),
            PrimitiveKind.F64 => random.Next(10) == 0 ? double.NaN : random.NextDouble() * 1e12 - 5e11,
            PrimitiveKind.Char => RandomRune(random, latin1Only),
            _ => RandomString(random, latin1Only),
        },
        ListType { IsBytes: true } => RandomBytes(random),
        ListType list => Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, list.Element, latin1Only)).ToArray(),
        RecordType record => record.Fields.Select(f => RandomValue(random, f.Type, latin1Only)).ToArray(),
        TupleType tuple => tuple.Elements.Select(e => RandomValue(random, e, latin1Only)).ToArray(),
        VariantType variant => RandomCase(random, variant.Cases.Select(c => c.Type).ToArray(), latin1Only),
        EnumType e => random.Next(e.Cases.Count),
        OptionType o => RandomCase(random, [null, o.Payload], latin1Only),
        ResultType r => RandomCase(random, [r.Ok, r.Error], latin1Only),
        FlagsType f => (uint)random.NextInt64() & (f.Names.Count == 32 ? uint.MaxValue : (1u << f.Names.Count) - 1),
        _ => throw new ArgumentException($"no values for {type}"),
    };

    public static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (object?[] x, object?[] y) => x.Length == y.Length && x.Zip(y).All(p => Same(p.First, p.Second)),
        (Variant x, Variant y) => x.Case == y.Case && Same(x.Payload, y.Payload),
        (float x, float y) => BitConverter.SingleToUInt32Bits(x) == BitConverter.SingleToUInt32Bits(y) || (float.IsNaN(x) && float.IsNaN(y)),
        (double x, double y) => BitConverter.DoubleToUInt64Bits(x) == BitConverter.DoubleToUInt64Bits(y) || (double.IsNaN(x) && double.IsNaN(y)),
        _ => Equals(a, b),
    };

    private static Variant RandomCase(Random random, ValType?[] cases, bool latin1Only)
    {
        var index = random.Next(cases.Length);
        return new Variant(index, cases[index] is { } payload ? RandomValue(random, payload, latin1Only) : null);
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 40)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static Rune RandomRune(Random random, bool latin1Only)
    {
        while (true)
        {
            var value = latin1Only ? random.Next(0x100) : random.Next(4) == 0 ? random.Next(0x10000, 0x110000) : random.Next(0x10000);
            if (Rune.IsValid(value))
            {
                return new Rune(value);
            }
        }
    }

    private static string RandomString(Random random, bool latin1Only)
    {
        var text = new StringBuilder();
        var length = random.Next(0, 12);
        for (var i = 0; i < length; i++)
        {
            text.Append(RandomRune(random, latin1Only || random.Next(2) == 0).ToString());
        }

        return text.ToString();
    }
}
