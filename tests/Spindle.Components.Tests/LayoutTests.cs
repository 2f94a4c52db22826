using Spindle.Components;

namespace Spindle.Components.Tests;

// Issue #8: sizes, alignments and flattening as CanonicalABI.md defines them.
public sealed class LayoutTests
{
    public static TheoryData<string, ValType, int, int> Layouts => new()
    {
        { "bool", ValType.Bool, 1, 1 },
        { "u16", ValType.U16, 2, 2 },
        { "char", ValType.Char, 4, 4 },
        { "u64", ValType.U64, 8, 8 },
        { "string", ValType.String, 8, 4 },
        { "list<u64>", ValType.List(ValType.U64), 8, 4 },
        { "record{u8,u32}", ValType.Record(("a", ValType.U8), ("b", ValType.U32)), 8, 4 },
        { "record{u8,u16,u8}", ValType.Record(("a", ValType.U8), ("b", ValType.U16), ("c", ValType.U8)), 6, 2 },
        { "tuple<u8,u64,u8>", ValType.Tuple(ValType.U8, ValType.U64, ValType.U8), 24, 8 },
        { "option<u64>", ValType.Option(ValType.U64), 16, 8 },
        { "option<u8>", ValType.Option(ValType.U8), 2, 1 },
        { "result<_,_>", ValType.Result(null, null), 1, 1 },
        { "result<string,u8>", ValType.Result(ValType.String, ValType.U8), 12, 4 },
        { "enum(3)", ValType.Enum("a", "b", "c"), 1, 1 },
        { "enum(257)", ValType.Enum([.. Enumerable.Range(0, 257).Select(i => $"c{i}")]), 2, 2 },
        { "flags(8)", ValType.Flags([.. Enumerable.Range(0, 8).Select(i => $"f{i}")]), 1, 1 },
        { "flags(9)", ValType.Flags([.. Enumerable.Range(0, 9).Select(i => $"f{i}")]), 2, 2 },
        { "flags(17)", ValType.Flags([.. Enumerable.Range(0, 17).Select(i => $"f{i}")]), 4, 4 },
        { "variant{a(u8),b(u64),c}", ValType.Variant(("a", ValType.U8), ("b", ValType.U64), ("c", null)), 16, 8 },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Size_and_alignment_follow_the_canonical_abi(string name, ValType type, int size, int alignment)
    {
        Assert.True(type.Abi.Size == size && type.Abi.Alignment == alignment, $"{name}: size {type.Abi.Size} align {type.Abi.Alignment}, expected {size}/{alignment}");
    }

    [Fact]
    public void Variant_payloads_share_flat_slots_by_the_join_rule()
    {
        // i32 and f32 meet as i32; anything else that differs meets as i64.
        Assert.Equal([CoreKind.I32, CoreKind.I32], ValType.Variant(("a", ValType.F32), ("b", ValType.U32)).Abi.Flat);
        Assert.Equal([CoreKind.I32, CoreKind.I64], ValType.Variant(("a", ValType.F32), ("b", ValType.U64)).Abi.Flat);
        Assert.Equal([CoreKind.I32, CoreKind.I64], ValType.Variant(("a", ValType.F64), ("b", ValType.F32)).Abi.Flat);
        Assert.Equal([CoreKind.I32, CoreKind.F64], ValType.Variant(("a", ValType.F64), ("b", null)).Abi.Flat);
        Assert.Equal([CoreKind.I32, CoreKind.I64, CoreKind.I32], ValType.Variant(("a", ValType.F64), ("b", ValType.String)).Abi.Flat);
        Assert.Equal([CoreKind.I32], ValType.Enum("x", "y").Abi.Flat);
    }

    [Fact]
    public void Records_flatten_field_by_field()
    {
        var type = ValType.Record(("a", ValType.String), ("b", ValType.Option(ValType.F32)), ("c", ValType.S64));
        Assert.Equal([CoreKind.I32, CoreKind.I32, CoreKind.I32, CoreKind.F32, CoreKind.I64], type.Abi.Flat);
    }
}
