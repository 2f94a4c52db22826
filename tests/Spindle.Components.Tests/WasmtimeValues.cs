using System.Text;
using Wasmtime.Components;

namespace Spindle.Components.Tests;

/// <summary>
/// Converts between Spindle's value representation (see <see cref="ValType"/>) and Wasmtime's
/// <see cref="ComponentValue"/>, directed by the Spindle type: Wasmtime names variant, enum and flag cases where
/// Spindle numbers them.
/// </summary>
internal static class WasmtimeValues
{
    public static ComponentValue ToWasmtime(ValType type, object? value) => type switch
    {
        PrimitiveType p => p.Kind switch
        {
            PrimitiveKind.Bool => ComponentValue.Bool((bool)value!),
            PrimitiveKind.S8 => ComponentValue.S8((sbyte)value!),
            PrimitiveKind.U8 => ComponentValue.U8((byte)value!),
            PrimitiveKind.S16 => ComponentValue.S16((short)value!),
            PrimitiveKind.U16 => ComponentValue.U16((ushort)value!),
            PrimitiveKind.S32 => ComponentValue.S32((int)value!),
            PrimitiveKind.U32 => ComponentValue.U32((uint)value!),
            PrimitiveKind.S64 => ComponentValue.S64((long)value!),
            PrimitiveKind.U64 => ComponentValue.U64((ulong)value!),
            PrimitiveKind.F32 => ComponentValue.F32((float)value!),
            PrimitiveKind.F64 => ComponentValue.F64((double)value!),
            PrimitiveKind.Char => ComponentValue.Char((Rune)value!),
            _ => ComponentValue.String((string)value!),
        },
        ListType { IsBytes: true } => ComponentValue.List([.. ((byte[])value!).Select(ComponentValue.U8)]),
        ListType list => ComponentValue.List([.. ((object?[])value!).Select(e => ToWasmtime(list.Element, e))]),
        RecordType record => ComponentValue.Record([.. record.Fields.Select((f, i) => KeyValuePair.Create(f.Name, ToWasmtime(f.Type, ((object?[])value!)[i])))]),
        TupleType tuple => ComponentValue.Tuple([.. tuple.Elements.Select((t, i) => ToWasmtime(t, ((object?[])value!)[i]))]),
        VariantType variant => ((Variant)value!) is var v && variant.Cases[v.Case].Type is { } payload
            ? ComponentValue.Variant(variant.Cases[v.Case].Name, ToWasmtime(payload, v.Payload))
            : ComponentValue.Variant(variant.Cases[((Variant)value!).Case].Name, null!),
        EnumType e => ComponentValue.Enum(e.Cases[(int)value!]),
        OptionType option => ((Variant)value!).Case == 0 ? ComponentValue.None() : ComponentValue.Some(ToWasmtime(option.Payload, ((Variant)value!).Payload)),
        ResultType result => ((Variant)value!) is { Case: 0 } ok
            ? ComponentValue.Ok(result.Ok is { } okType ? ToWasmtime(okType, ok.Payload) : null!)
            : ComponentValue.Err(result.Error is { } errorType ? ToWasmtime(errorType, ((Variant)value!).Payload) : null!),
        FlagsType flags => ComponentValue.Flags([.. flags.Names.Where((_, i) => (((uint)value! >> i) & 1) != 0)]),
        _ => throw new ArgumentException($"no Wasmtime value for {type}", nameof(type)),
    };

    public static object? FromWasmtime(ValType type, ComponentValue value) => type switch
    {
        PrimitiveType p => p.Kind switch
        {
            PrimitiveKind.Bool => value.AsBool(),
            PrimitiveKind.S8 => value.AsS8(),
            PrimitiveKind.U8 => value.AsU8(),
            PrimitiveKind.S16 => value.AsS16(),
            PrimitiveKind.U16 => value.AsU16(),
            PrimitiveKind.S32 => value.AsS32(),
            PrimitiveKind.U32 => value.AsU32(),
            PrimitiveKind.S64 => value.AsS64(),
            PrimitiveKind.U64 => value.AsU64(),
            PrimitiveKind.F32 => value.AsF32(),
            PrimitiveKind.F64 => value.AsF64(),
            PrimitiveKind.Char => value.AsRune(),
            _ => value.AsString(),
        },
        ListType { IsBytes: true } => value.AsList().Select(e => e.AsU8()).ToArray(),
        ListType list => value.AsList().Select(e => FromWasmtime(list.Element, e)).ToArray(),
        RecordType record => record.Fields.Select(f => FromWasmtime(f.Type, value.Field(f.Name))).ToArray(),
        TupleType tuple => value.AsTuple().Select((e, i) => FromWasmtime(tuple.Elements[i], e)).ToArray(),
        VariantType variant => variant.CaseIndex(value.AsVariant()) is var index && variant.Cases[index].Type is { } payload
            ? new Variant(index, FromWasmtime(payload, value.Payload!))
            : new Variant(variant.CaseIndex(value.AsVariant()), null),
        EnumType e => IndexOf(e.Cases, value.AsEnum()),
        OptionType option => value.IsSome ? Variant.Some(FromWasmtime(option.Payload, value.Payload!)) : Variant.None,
        ResultType result => value.IsOk
            ? new Variant(0, result.Ok is { } okType ? FromWasmtime(okType, value.Payload!) : null)
            : new Variant(1, result.Error is { } errorType ? FromWasmtime(errorType, value.Payload!) : null),
        FlagsType flags => value.AsFlags().Aggregate(0u, (bits, name) => bits | (1u << IndexOf(flags.Names, name))),
        _ => throw new ArgumentException($"no Spindle value for {type}", nameof(type)),
    };

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Wasmtime returned the unknown case or flag {name}");
    }
}
