namespace Spindle.Components;

/// <summary>The four core value types a component value flattens to.</summary>
internal enum CoreKind : byte
{
    I32,
    I64,
    F32,
    F64,
}

/// <summary>
/// A value type's Canonical ABI layout: size and alignment in linear memory, and its flattening into core values
/// (CanonicalABI.md, "Alignment", "Element Size", "Flattening").
/// </summary>
internal sealed class Layout
{
    private Layout(int size, int alignment, CoreKind[] flat)
    {
        Size = size;
        Alignment = alignment;
        Flat = flat;
    }

    public int Size { get; }

    public int Alignment { get; }

    public CoreKind[] Flat { get; }

    /// <summary>For variants (and option, result, enum): the discriminant's byte size and the payload's offset.</summary>
    public int DiscriminantSize { get; private init; }

    public int PayloadOffset { get; private init; }

    /// <summary>For records and tuples: each field's offset.</summary>
    public int[] FieldOffsets { get; private init; } = [];

    public static int AlignTo(int offset, int alignment) => (offset + alignment - 1) / alignment * alignment;

    public static Layout Of(ValType type) => type switch
    {
        PrimitiveType p => Primitive(p.Kind),
        ListType => new Layout(8, 4, [CoreKind.I32, CoreKind.I32]),
        RecordType r => Struct(r.Fields.Select(f => f.Type).ToArray()),
        TupleType t => Struct([.. t.Elements]),
        VariantType v => Variant(v.Cases.Select(c => c.Type).ToArray()),
        EnumType e => Variant(new ValType?[e.Cases.Count]),
        OptionType o => Variant([null, o.Payload]),
        ResultType r => Variant([r.Ok, r.Error]),
        FlagsType f => f.Names.Count <= 8 ? new Layout(1, 1, [CoreKind.I32])
            : f.Names.Count <= 16 ? new Layout(2, 2, [CoreKind.I32])
            : new Layout(4, 4, [CoreKind.I32]),
        OwnType or BorrowType => new Layout(4, 4, [CoreKind.I32]),
        _ => throw new ArgumentException($"no layout for {type}", nameof(type)),
    };

    public static int DiscriminantBytes(int cases) => cases <= 256 ? 1 : cases <= 65536 ? 2 : 4;

    private static Layout Primitive(PrimitiveKind kind) => kind switch
    {
        PrimitiveKind.Bool or PrimitiveKind.S8 or PrimitiveKind.U8 => new Layout(1, 1, [CoreKind.I32]),
        PrimitiveKind.S16 or PrimitiveKind.U16 => new Layout(2, 2, [CoreKind.I32]),
        PrimitiveKind.S32 or PrimitiveKind.U32 or PrimitiveKind.Char => new Layout(4, 4, [CoreKind.I32]),
        PrimitiveKind.S64 or PrimitiveKind.U64 => new Layout(8, 8, [CoreKind.I64]),
        PrimitiveKind.F32 => new Layout(4, 4, [CoreKind.F32]),
        PrimitiveKind.F64 => new Layout(8, 8, [CoreKind.F64]),
        _ => new Layout(8, 4, [CoreKind.I32, CoreKind.I32]),
    };

    private static Layout Struct(ValType[] fields)
    {
        var offsets = new int[fields.Length];
        int size = 0, alignment = 1;
        var flat = new List<CoreKind>();
        for (var i = 0; i < fields.Length; i++)
        {
            var field = fields[i].Abi;
            size = AlignTo(size, field.Alignment);
            offsets[i] = size;
            size += field.Size;
            alignment = Math.Max(alignment, field.Alignment);
            flat.AddRange(field.Flat);
        }

        return new Layout(AlignTo(size, alignment), alignment, [.. flat]) { FieldOffsets = offsets };
    }

    private static Layout Variant(ValType?[] cases)
    {
        var discriminant = DiscriminantBytes(cases.Length);
        int caseAlignment = 1, caseSize = 0;
        var payload = new List<CoreKind>();
        foreach (var type in cases)
        {
            if (type is null)
            {
                continue;
            }

            var layout = type.Abi;
            caseAlignment = Math.Max(caseAlignment, layout.Alignment);
            caseSize = Math.Max(caseSize, layout.Size);
            for (var i = 0; i < layout.Flat.Length; i++)
            {
                if (i < payload.Count)
                {
                    payload[i] = Join(payload[i], layout.Flat[i]);
                }
                else
                {
                    payload.Add(layout.Flat[i]);
                }
            }
        }

        var alignment = Math.Max(discriminant, caseAlignment);
        var payloadOffset = AlignTo(discriminant, caseAlignment);
        var size = AlignTo(payloadOffset + caseSize, alignment);
        return new Layout(size, alignment, [CoreKind.I32, .. payload]) { DiscriminantSize = discriminant, PayloadOffset = payloadOffset };
    }

    // Two cases' flat values share a slot: equal kinds stay, i32 and f32 meet as i32, anything else as i64.
    private static CoreKind Join(CoreKind a, CoreKind b) =>
        a == b ? a
        : (a, b) is (CoreKind.I32, CoreKind.F32) or (CoreKind.F32, CoreKind.I32) ? CoreKind.I32
        : CoreKind.I64;
}
