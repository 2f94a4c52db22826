using System.Collections;
using System.Text;
using Spindle.Components.Binary;

namespace Spindle.Components.Runtime;

/// <summary>What one lift or lower works with: the memory and string encoding of the canon options, the handle table.</summary>
internal sealed class AbiContext(GuestMemory? memory, StringEncoding encoding, HandleTable handles)
{
    public GuestMemory Memory => memory ?? throw new ComponentTrapException("the value needs linear memory, but the function was lifted or lowered without a memory option");

    public StringEncoding Encoding { get; } = encoding;

    public HandleTable Handles { get; } = handles;

    /// <summary>Owned handles lent to the host for the current call, released when it returns.</summary>
    public List<HandleEntry>? Lends { get; set; }

    /// <summary>The guest call that borrowed handles lowered now belong to.</summary>
    public CallScope? Scope { get; set; }

    public void ReleaseLends()
    {
        if (Lends is { } lends)
        {
            foreach (var entry in lends)
            {
                entry.Lends--;
            }

            lends.Clear();
        }
    }
}

/// <summary>
/// The Canonical ABI (CanonicalABI.md; canonical-abi/definitions.py is the executable reference): values between
/// guest memory or flat core values and the .NET representation described on <see cref="ValType"/>. Flat values
/// are carried as raw 64-bit patterns (an i32 or f32 zero-extended), which makes the variant join rule a no-op.
/// Every guest mistake throws <see cref="ComponentTrapException"/>.
/// </summary>
internal static class CanonicalAbi
{
    private const uint Utf16Tag = 1u << 31;
    private const uint CanonicalNan32 = 0x7fc00000;
    private const ulong CanonicalNan64 = 0x7ff8000000000000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UnicodeEncoding StrictUtf16 = new(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);
    private static readonly object True = true;
    private static readonly object False = false;

    public static object? LiftFlat(AbiContext cx, ValType type, ReadOnlySpan<ulong> flat, ref int i)
    {
        switch (type)
        {
            case PrimitiveType p:
                return p.Kind switch
                {
                    PrimitiveKind.String => LoadString(cx, (int)(uint)flat[i++], (uint)flat[i++]),
                    _ => LiftPrimitive(p.Kind, flat[i++]),
                };
            case ListType list:
                return LoadList(cx, list, (int)(uint)flat[i++], (uint)flat[i++]);
            case RecordType record:
                var fields = new object?[record.Fields.Count];
                for (var f = 0; f < fields.Length; f++)
                {
                    fields[f] = LiftFlat(cx, record.Fields[f].Type, flat, ref i);
                }

                return fields;
            case TupleType tuple:
                var elements = new object?[tuple.Elements.Count];
                for (var e = 0; e < elements.Length; e++)
                {
                    elements[e] = LiftFlat(cx, tuple.Elements[e], flat, ref i);
                }

                return elements;
            case FlagsType flags:
                return (uint)flat[i++] & FlagMask(flags);
            case OwnType own:
                return LiftOwn(cx, own.Resource, (int)(uint)flat[i++]);
            case BorrowType borrow:
                return LiftBorrow(cx, borrow.Resource, (int)(uint)flat[i++]);
            default:
                var cases = Cases(type);
                var layout = type.Abi;
                var index = (uint)flat[i];
                if (index >= (uint)cases.Length)
                {
                    throw new ComponentTrapException($"variant case {index} is out of range for {type}");
                }

                var payloadStart = i + 1;
                i += layout.Flat.Length;
                if (type is EnumType)
                {
                    return (int)index;
                }

                object? payload = null;
                if (cases[index] is { } payloadType)
                {
                    var j = payloadStart;
                    payload = LiftFlat(cx, payloadType, flat, ref j);
                }

                return new Variant((int)index, payload);
        }
    }

    public static object? Load(AbiContext cx, ValType type, int pointer)
    {
        var memory = cx.Memory;
        switch (type)
        {
            case PrimitiveType p:
                return p.Kind switch
                {
                    PrimitiveKind.Bool => memory.U8(pointer) != 0 ? True : False,
                    PrimitiveKind.S8 => (sbyte)memory.U8(pointer),
                    PrimitiveKind.U8 => memory.U8(pointer),
                    PrimitiveKind.S16 => (short)memory.U16(pointer),
                    PrimitiveKind.U16 => memory.U16(pointer),
                    PrimitiveKind.S32 => (int)memory.U32(pointer),
                    PrimitiveKind.U32 => memory.U32(pointer),
                    PrimitiveKind.S64 => (long)memory.U64(pointer),
                    PrimitiveKind.U64 => memory.U64(pointer),
                    PrimitiveKind.F32 => LiftPrimitive(PrimitiveKind.F32, memory.U32(pointer)),
                    PrimitiveKind.F64 => LiftPrimitive(PrimitiveKind.F64, memory.U64(pointer)),
                    PrimitiveKind.Char => LiftPrimitive(PrimitiveKind.Char, memory.U32(pointer)),
                    _ => LoadString(cx, (int)memory.U32(pointer), memory.U32(pointer + 4)),
                };
            case ListType list:
                return LoadList(cx, list, (int)memory.U32(pointer), memory.U32(pointer + 4));
            case RecordType record:
                var offsets = record.Abi.FieldOffsets;
                var fields = new object?[record.Fields.Count];
                for (var f = 0; f < fields.Length; f++)
                {
                    fields[f] = Load(cx, record.Fields[f].Type, pointer + offsets[f]);
                }

                return fields;
            case TupleType tuple:
                var tupleOffsets = tuple.Abi.FieldOffsets;
                var elements = new object?[tuple.Elements.Count];
                for (var e = 0; e < elements.Length; e++)
                {
                    elements[e] = Load(cx, tuple.Elements[e], pointer + tupleOffsets[e]);
                }

                return elements;
            case FlagsType flags:
                uint bits = flags.Abi.Size switch
                {
                    1 => memory.U8(pointer),
                    2 => memory.U16(pointer),
                    _ => memory.U32(pointer),
                };
                return bits & FlagMask(flags);
            case OwnType own:
                return LiftOwn(cx, own.Resource, (int)memory.U32(pointer));
            case BorrowType borrow:
                return LiftBorrow(cx, borrow.Resource, (int)memory.U32(pointer));
            default:
                var cases = Cases(type);
                var layout = type.Abi;
                uint index = layout.DiscriminantSize switch
                {
                    1 => memory.U8(pointer),
                    2 => memory.U16(pointer),
                    _ => memory.U32(pointer),
                };
                if (index >= (uint)cases.Length)
                {
                    throw new ComponentTrapException($"variant case {index} is out of range for {type}");
                }

                if (type is EnumType)
                {
                    return (int)index;
                }

                var payload = cases[index] is { } payloadType ? Load(cx, payloadType, pointer + layout.PayloadOffset) : null;
                return new Variant((int)index, payload);
        }
    }

    public static void LowerFlat(AbiContext cx, ValType type, object? value, Span<ulong> flat, ref int i)
    {
        switch (type)
        {
            case PrimitiveType { Kind: PrimitiveKind.String }:
                var (pointer, length) = StoreString(cx, AsString(value));
                flat[i++] = (uint)pointer;
                flat[i++] = length;
                break;
            case PrimitiveType p:
                flat[i++] = LowerPrimitive(p.Kind, value);
                break;
            case ListType list:
                var (listPointer, count) = StoreList(cx, list, value);
                flat[i++] = (uint)listPointer;
                flat[i++] = (uint)count;
                break;
            case RecordType record:
                var fields = Fields(value, record.Fields.Count, type);
                for (var f = 0; f < fields.Count; f++)
                {
                    LowerFlat(cx, record.Fields[f].Type, fields[f], flat, ref i);
                }

                break;
            case TupleType tuple:
                var elements = Fields(value, tuple.Elements.Count, type);
                for (var e = 0; e < elements.Count; e++)
                {
                    LowerFlat(cx, tuple.Elements[e], elements[e], flat, ref i);
                }

                break;
            case FlagsType flags:
                flat[i++] = AsFlags(value, flags);
                break;
            case OwnType own:
                flat[i++] = (uint)LowerOwn(cx, own.Resource, value);
                break;
            case BorrowType borrow:
                flat[i++] = (uint)LowerBorrow(cx, borrow.Resource, value);
                break;
            default:
                var cases = Cases(type);
                var layout = type.Abi;
                var (index, payload) = CaseOf(type, value, cases.Length);
                flat[i] = (uint)index;
                var end = i + layout.Flat.Length;
                var j = i + 1;
                if (cases[index] is { } payloadType)
                {
                    LowerFlat(cx, payloadType, payload, flat, ref j);
                }

                flat[j..end].Clear();
                i = end;
                break;
        }
    }

    public static void Store(AbiContext cx, ValType type, object? value, int pointer)
    {
        switch (type)
        {
            case PrimitiveType { Kind: PrimitiveKind.String }:
                var (stringPointer, length) = StoreString(cx, AsString(value));
                cx.Memory.WriteU32(pointer, (uint)stringPointer);
                cx.Memory.WriteU32(pointer + 4, length);
                break;
            case PrimitiveType p:
                var bits = LowerPrimitive(p.Kind, value);
                switch (p.Abi.Size)
                {
                    case 1: cx.Memory.WriteU8(pointer, (byte)bits); break;
                    case 2: cx.Memory.WriteU16(pointer, (ushort)bits); break;
                    case 4: cx.Memory.WriteU32(pointer, (uint)bits); break;
                    default: cx.Memory.WriteU64(pointer, bits); break;
                }

                break;
            case ListType list:
                var (listPointer, count) = StoreList(cx, list, value);
                cx.Memory.WriteU32(pointer, (uint)listPointer);
                cx.Memory.WriteU32(pointer + 4, (uint)count);
                break;
            case RecordType record:
                var fields = Fields(value, record.Fields.Count, type);
                var offsets = record.Abi.FieldOffsets;
                for (var f = 0; f < fields.Count; f++)
                {
                    Store(cx, record.Fields[f].Type, fields[f], pointer + offsets[f]);
                }

                break;
            case TupleType tuple:
                var elements = Fields(value, tuple.Elements.Count, type);
                var tupleOffsets = tuple.Abi.FieldOffsets;
                for (var e = 0; e < elements.Count; e++)
                {
                    Store(cx, tuple.Elements[e], elements[e], pointer + tupleOffsets[e]);
                }

                break;
            case FlagsType flags:
                var set = AsFlags(value, flags);
                switch (flags.Abi.Size)
                {
                    case 1: cx.Memory.WriteU8(pointer, (byte)set); break;
                    case 2: cx.Memory.WriteU16(pointer, (ushort)set); break;
                    default: cx.Memory.WriteU32(pointer, set); break;
                }

                break;
            case OwnType own:
                cx.Memory.WriteU32(pointer, (uint)LowerOwn(cx, own.Resource, value));
                break;
            case BorrowType borrow:
                cx.Memory.WriteU32(pointer, (uint)LowerBorrow(cx, borrow.Resource, value));
                break;
            default:
                var cases = Cases(type);
                var layout = type.Abi;
                var (index, payload) = CaseOf(type, value, cases.Length);
                switch (layout.DiscriminantSize)
                {
                    case 1: cx.Memory.WriteU8(pointer, (byte)index); break;
                    case 2: cx.Memory.WriteU16(pointer, (ushort)index); break;
                    default: cx.Memory.WriteU32(pointer, (uint)index); break;
                }

                if (cases[index] is { } payloadType)
                {
                    Store(cx, payloadType, payload, pointer + layout.PayloadOffset);
                }

                break;
        }
    }

    /// <summary>Checks that <paramref name="pointer"/> can hold a <paramref name="type"/> (spilled parameters, return areas).</summary>
    public static void CheckPointer(AbiContext cx, ValType type, int pointer)
    {
        var layout = type.Abi;
        if ((uint)pointer % (uint)layout.Alignment != 0)
        {
            throw new ComponentTrapException($"pointer {(uint)pointer} is not aligned to {layout.Alignment} for {type}");
        }

        cx.Memory.Check(pointer, layout.Size);
    }

    private static object LiftPrimitive(PrimitiveKind kind, ulong bits) => kind switch
    {
        PrimitiveKind.Bool => (uint)bits != 0 ? True : False,
        PrimitiveKind.S8 => (sbyte)bits,
        PrimitiveKind.U8 => (byte)bits,
        PrimitiveKind.S16 => (short)bits,
        PrimitiveKind.U16 => (ushort)bits,
        PrimitiveKind.S32 => (int)(uint)bits,
        PrimitiveKind.U32 => (uint)bits,
        PrimitiveKind.S64 => (long)bits,
        PrimitiveKind.U64 => bits,
        PrimitiveKind.F32 => BitConverter.UInt32BitsToSingle(CanonicalF32((uint)bits)),
        PrimitiveKind.F64 => BitConverter.UInt64BitsToDouble(CanonicalF64(bits)),
        PrimitiveKind.Char => (uint)bits is var scalar && Rune.IsValid(scalar)
            ? new Rune(scalar)
            : throw new ComponentTrapException($"0x{(uint)bits:x} is not a Unicode scalar value (char)"),
        _ => throw new InvalidOperationException("strings are not primitive bit patterns"),
    };

    private static ulong LowerPrimitive(PrimitiveKind kind, object? value) => kind switch
    {
        PrimitiveKind.Bool => (bool)value! ? 1UL : 0UL,
        PrimitiveKind.S8 => (byte)(sbyte)value!,
        PrimitiveKind.U8 => (byte)value!,
        PrimitiveKind.S16 => (ushort)(short)value!,
        PrimitiveKind.U16 => (ushort)value!,
        PrimitiveKind.S32 => (uint)(int)value!,
        PrimitiveKind.U32 => (uint)value!,
        PrimitiveKind.S64 => (ulong)(long)value!,
        PrimitiveKind.U64 => (ulong)value!,
        PrimitiveKind.F32 => CanonicalF32(BitConverter.SingleToUInt32Bits((float)value!)),
        PrimitiveKind.F64 => CanonicalF64(BitConverter.DoubleToUInt64Bits((double)value!)),
        PrimitiveKind.Char => (uint)(value is Rune rune ? rune.Value : new Rune((char)value!).Value),
        _ => throw new InvalidOperationException("strings are not primitive bit patterns"),
    };

    // NaNs cross the boundary as the one canonical NaN (the spec's deterministic profile).
    private static uint CanonicalF32(uint bits) => float.IsNaN(BitConverter.UInt32BitsToSingle(bits)) ? CanonicalNan32 : bits;

    private static ulong CanonicalF64(ulong bits) => double.IsNaN(BitConverter.UInt64BitsToDouble(bits)) ? CanonicalNan64 : bits;

    private static uint FlagMask(FlagsType flags) => flags.Names.Count == 32 ? uint.MaxValue : (1u << flags.Names.Count) - 1;

    private static uint AsFlags(object? value, FlagsType flags) => value switch
    {
        uint bits => bits & FlagMask(flags),
        int bits => (uint)bits & FlagMask(flags),
        _ => throw new InvalidCastException($"a {flags} value must be a uint bit set, not {value?.GetType().Name ?? "null"}"),
    };

    private static ValType?[] Cases(ValType type) => type switch
    {
        VariantType v => v.Cases.Select(c => c.Type).ToArray(),
        EnumType e => new ValType?[e.Cases.Count],
        OptionType o => [null, o.Payload],
        ResultType r => [r.Ok, r.Error],
        _ => throw new InvalidOperationException($"{type} is not a variant"),
    };

    private static (int Case, object? Payload) CaseOf(ValType type, object? value, int cases)
    {
        var (index, payload) = value switch
        {
            Variant v when type is not EnumType => (v.Case, v.Payload),
            int e when type is EnumType => (e, null),
            _ => throw new InvalidCastException($"a {type} value must be {(type is EnumType ? "an int case index" : "a Variant")}, not {value?.GetType().Name ?? "null"}"),
        };
        return (uint)index < (uint)cases ? (index, payload) : throw new ArgumentOutOfRangeException(nameof(value), $"case {index} is out of range for {type}");
    }

    private static IReadOnlyList<object?> Fields(object? value, int count, ValType type)
    {
        var fields = value as IReadOnlyList<object?> ?? throw new InvalidCastException($"a {type} value must be an object?[], not {value?.GetType().Name ?? "null"}");
        return fields.Count == count ? fields : throw new ArgumentException($"a {type} value needs {count} elements, got {fields.Count}");
    }

    private static string AsString(object? value) => value as string ?? throw new InvalidCastException($"a string value must be a string, not {value?.GetType().Name ?? "null"}");

    private static string LoadString(AbiContext cx, int pointer, uint taggedLength)
    {
        var memory = cx.Memory;
        try
        {
            switch (cx.Encoding)
            {
                case StringEncoding.Utf8:
                    return taggedLength == 0 ? string.Empty : StrictUtf8.GetString(memory.Span(pointer, CheckedLength(taggedLength, 1)));
                case StringEncoding.Utf16:
                    return LoadUtf16(memory, pointer, taggedLength);
                default:
                    if ((taggedLength & Utf16Tag) != 0)
                    {
                        return LoadUtf16(memory, pointer, taggedLength & ~Utf16Tag);
                    }

                    if (pointer % 2 != 0)
                    {
                        throw new ComponentTrapException($"latin1+utf16 string pointer {(uint)pointer} is not aligned to 2");
                    }

                    return Encoding.Latin1.GetString(memory.Span(pointer, CheckedLength(taggedLength, 1)));
            }
        }
        catch (DecoderFallbackException)
        {
            throw new ComponentTrapException($"a string passed by the guest is not valid {(cx.Encoding == StringEncoding.Utf8 ? "UTF-8" : "UTF-16")}");
        }
    }

    private static string LoadUtf16(GuestMemory memory, int pointer, uint units)
    {
        if (pointer % 2 != 0)
        {
            throw new ComponentTrapException($"UTF-16 string pointer {(uint)pointer} is not aligned to 2");
        }

        return StrictUtf16.GetString(memory.Span(pointer, CheckedLength(units, 2)));
    }

    private static int CheckedLength(uint count, int elementSize)
    {
        var bytes = (ulong)count * (ulong)elementSize;
        return bytes <= int.MaxValue ? (int)bytes : throw new ComponentTrapException($"a length of {count} elements ({bytes} bytes) is larger than the guest's memory can hold");
    }

    private static object LoadList(AbiContext cx, ListType list, int pointer, uint count)
    {
        var layout = list.Element.Abi;
        if ((uint)pointer % (uint)layout.Alignment != 0)
        {
            throw new ComponentTrapException($"list pointer {(uint)pointer} is not aligned to {layout.Alignment} for {list}");
        }

        var bytes = CheckedLength(count, layout.Size);
        var memory = cx.Memory;
        if (list.IsBytes)
        {
            return memory.Span(pointer, bytes).ToArray();
        }

        memory.Check(pointer, bytes);
        var elements = new object?[count];
        for (var e = 0; e < elements.Length; e++)
        {
            elements[e] = Load(cx, list.Element, pointer + (e * layout.Size));
        }

        return elements;
    }

    private static (int Pointer, uint Length) StoreString(AbiContext cx, string value)
    {
        var memory = cx.Memory;
        switch (cx.Encoding)
        {
            case StringEncoding.Utf8:
                var length = StrictUtf8.GetByteCount(value);
                var pointer = memory.Allocate(1, length);
                StrictUtf8.GetBytes(value, memory.Span(pointer, length));
                return (pointer, (uint)length);
            case StringEncoding.Latin1Utf16 when IsLatin1(value):
                var latin1 = memory.Allocate(2, value.Length);
                Encoding.Latin1.GetBytes(value, memory.Span(latin1, value.Length));
                return (latin1, (uint)value.Length);
            default:
                var utf16 = memory.Allocate(2, value.Length * 2);
                StrictUtf16.GetBytes(value, memory.Span(utf16, value.Length * 2));
                return (utf16, (uint)value.Length | (cx.Encoding == StringEncoding.Latin1Utf16 ? Utf16Tag : 0));
        }
    }

    private static bool IsLatin1(string value)
    {
        foreach (var c in value)
        {
            if (c > 0xFF)
            {
                return false;
            }
        }

        return true;
    }

    private static (int Pointer, int Count) StoreList(AbiContext cx, ListType list, object? value)
    {
        var memory = cx.Memory;
        if (list.IsBytes)
        {
            ReadOnlySpan<byte> bytes = value switch
            {
                byte[] array => array,
                ReadOnlyMemory<byte> readOnly => readOnly.Span,
                Memory<byte> writable => writable.Span,
                ArraySegment<byte> segment => segment,
                _ => throw new InvalidCastException($"a list<u8> value must be a byte[] or ReadOnlyMemory<byte>, not {value?.GetType().Name ?? "null"}"),
            };
            var pointer = memory.Allocate(1, bytes.Length);

            // Re-read after the allocation (it may have moved memory): the one copy into the guest.
            bytes = value switch
            {
                byte[] array => array,
                ReadOnlyMemory<byte> readOnly => readOnly.Span,
                Memory<byte> writable => writable.Span,
                _ => (ArraySegment<byte>)value!,
            };
            bytes.CopyTo(memory.Span(pointer, bytes.Length));
            return (pointer, bytes.Length);
        }

        var elements = value as IList ?? throw new InvalidCastException($"a {list} value must be a list, not {value?.GetType().Name ?? "null"}");
        var layout = list.Element.Abi;
        var size = (long)elements.Count * layout.Size;
        if (size > int.MaxValue)
        {
            throw new ArgumentException($"a {list} of {elements.Count} elements does not fit in guest memory");
        }

        var start = memory.Allocate(layout.Alignment, (int)size);
        for (var e = 0; e < elements.Count; e++)
        {
            Store(cx, list.Element, elements[e], start + (e * layout.Size));
        }

        return (start, elements.Count);
    }

    private static object LiftOwn(AbiContext cx, ResourceType type, int handle)
    {
        var entry = cx.Handles.Get(handle, type);
        if (!entry.Own)
        {
            throw new ComponentTrapException($"handle {handle} ({type.Name}) is borrowed; the call needs an owned handle");
        }

        cx.Handles.Remove(handle, type);
        return entry.Representation;
    }

    private static object LiftBorrow(AbiContext cx, ResourceType type, int handle)
    {
        var entry = cx.Handles.Get(handle, type);
        if (entry.Own)
        {
            entry.Lends++;
            (cx.Lends ??= []).Add(entry);
        }

        return entry.Representation;
    }

    private static int LowerOwn(AbiContext cx, ResourceType type, object? value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return cx.Handles.Add(new HandleEntry(type, value, own: true, scope: null));
    }

    private static int LowerBorrow(AbiContext cx, ResourceType type, object? value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var scope = cx.Scope ?? throw new InvalidOperationException("borrowed handles can only be passed into a guest call");
        scope.Borrows++;
        return cx.Handles.Add(new HandleEntry(type, value, own: false, scope));
    }
}
