using System.Text;

namespace Spindle.Components;

/// <summary>The primitive value types of the Component Model.</summary>
public enum PrimitiveKind
{
    /// <summary><c>bool</c>: <see cref="bool"/>.</summary>
    Bool,

    /// <summary><c>s8</c>: <see cref="sbyte"/>.</summary>
    S8,

    /// <summary><c>u8</c>: <see cref="byte"/>.</summary>
    U8,

    /// <summary><c>s16</c>: <see cref="short"/>.</summary>
    S16,

    /// <summary><c>u16</c>: <see cref="ushort"/>.</summary>
    U16,

    /// <summary><c>s32</c>: <see cref="int"/>.</summary>
    S32,

    /// <summary><c>u32</c>: <see cref="uint"/>.</summary>
    U32,

    /// <summary><c>s64</c>: <see cref="long"/>.</summary>
    S64,

    /// <summary><c>u64</c>: <see cref="ulong"/>.</summary>
    U64,

    /// <summary><c>f32</c>: <see cref="float"/>.</summary>
    F32,

    /// <summary><c>f64</c>: <see cref="double"/>.</summary>
    F64,

    /// <summary><c>char</c>: <see cref="System.Text.Rune"/>.</summary>
    Char,

    /// <summary><c>string</c>: <see cref="string"/>.</summary>
    String,
}

/// <summary>
/// A component value type. Values cross the boundary as .NET objects: primitives as their .NET type (see
/// <see cref="PrimitiveKind"/>), <c>list&lt;u8&gt;</c> as <see cref="byte"/>[], other lists, tuples and records as
/// <see cref="object"/>[], variants, options and results as <see cref="Variant"/>, enums as the case index
/// (<see cref="int"/>), flags as a <see cref="uint"/> bit set, and handles to host resources as the host's object.
/// </summary>
public abstract class ValType
{
    private Layout? _layout;

    private protected ValType()
    {
    }

    /// <summary><c>bool</c>.</summary>
    public static PrimitiveType Bool { get; } = new(PrimitiveKind.Bool);

    /// <summary><c>s8</c>.</summary>
    public static PrimitiveType S8 { get; } = new(PrimitiveKind.S8);

    /// <summary><c>u8</c>.</summary>
    public static PrimitiveType U8 { get; } = new(PrimitiveKind.U8);

    /// <summary><c>s16</c>.</summary>
    public static PrimitiveType S16 { get; } = new(PrimitiveKind.S16);

    /// <summary><c>u16</c>.</summary>
    public static PrimitiveType U16 { get; } = new(PrimitiveKind.U16);

    /// <summary><c>s32</c>.</summary>
    public static PrimitiveType S32 { get; } = new(PrimitiveKind.S32);

    /// <summary><c>u32</c>.</summary>
    public static PrimitiveType U32 { get; } = new(PrimitiveKind.U32);

    /// <summary><c>s64</c>.</summary>
    public static PrimitiveType S64 { get; } = new(PrimitiveKind.S64);

    /// <summary><c>u64</c>.</summary>
    public static PrimitiveType U64 { get; } = new(PrimitiveKind.U64);

    /// <summary><c>f32</c>.</summary>
    public static PrimitiveType F32 { get; } = new(PrimitiveKind.F32);

    /// <summary><c>f64</c>.</summary>
    public static PrimitiveType F64 { get; } = new(PrimitiveKind.F64);

    /// <summary><c>char</c>.</summary>
    public static PrimitiveType Char { get; } = new(PrimitiveKind.Char);

    /// <summary><c>string</c>.</summary>
    public static PrimitiveType String { get; } = new(PrimitiveKind.String);

    /// <summary><c>list&lt;u8&gt;</c>, carried as <see cref="byte"/>[].</summary>
    public static ListType Bytes { get; } = new(U8);

    internal Layout Abi => _layout ??= Layout.Of(this);

    /// <summary><c>list&lt;element&gt;</c>.</summary>
    public static ListType List(ValType element) => new(element);

    /// <summary><c>option&lt;payload&gt;</c>.</summary>
    public static OptionType Option(ValType payload) => new(payload);

    /// <summary><c>result&lt;ok, error&gt;</c>; either side may be absent (<c>_</c>).</summary>
    public static ResultType Result(ValType? ok, ValType? error) => new(ok, error);

    /// <summary><c>tuple&lt;...&gt;</c>.</summary>
    public static TupleType Tuple(params ValType[] elements) => new(elements);

    /// <summary>A record with these fields in order.</summary>
    public static RecordType Record(params (string Name, ValType Type)[] fields) =>
        new([.. fields.Select(f => new Field(f.Name, f.Type))]);

    /// <summary>A variant with these cases in order; a case without payload has a <see langword="null"/> type.</summary>
    public static VariantType Variant(params (string Name, ValType? Type)[] cases) =>
        new([.. cases.Select(c => new Case(c.Name, c.Type))]);

    /// <summary>An enum with these cases in order.</summary>
    public static EnumType Enum(params string[] cases) => new(cases);

    /// <summary>Flags with these names in bit order.</summary>
    public static FlagsType Flags(params string[] names) => new(names);

    /// <summary><c>own&lt;resource&gt;</c>.</summary>
    public static OwnType Own(ResourceType resource) => new(resource);

    /// <summary><c>borrow&lt;resource&gt;</c>.</summary>
    public static BorrowType Borrow(ResourceType resource) => new(resource);

    /// <summary>Whether two types are the same: same structure and labels, and the same resource types.</summary>
    public static bool Same(ValType? a, ValType? b) => TypeEquality.Same(a, b);

    /// <summary>The type in WIT syntax.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Write(text);
        return text.ToString();
    }

    internal abstract void Write(StringBuilder text);

    internal static void Write(StringBuilder text, ValType? type)
    {
        if (type is null)
        {
            text.Append('_');
        }
        else
        {
            type.Write(text);
        }
    }
}

/// <summary>A primitive type.</summary>
public sealed class PrimitiveType : ValType
{
    internal PrimitiveType(PrimitiveKind kind) => Kind = kind;

    /// <summary>Which primitive.</summary>
    public PrimitiveKind Kind { get; }

    internal override void Write(StringBuilder text) => text.Append(Kind switch
    {
        PrimitiveKind.Bool => "bool",
        PrimitiveKind.S8 => "s8",
        PrimitiveKind.U8 => "u8",
        PrimitiveKind.S16 => "s16",
        PrimitiveKind.U16 => "u16",
        PrimitiveKind.S32 => "s32",
        PrimitiveKind.U32 => "u32",
        PrimitiveKind.S64 => "s64",
        PrimitiveKind.U64 => "u64",
        PrimitiveKind.F32 => "f32",
        PrimitiveKind.F64 => "f64",
        PrimitiveKind.Char => "char",
        _ => "string",
    });
}

/// <summary><c>list&lt;T&gt;</c>.</summary>
public sealed class ListType : ValType
{
    internal ListType(ValType element) => Element = element ?? throw new ArgumentNullException(nameof(element));

    /// <summary>The element type.</summary>
    public ValType Element { get; }

    internal bool IsBytes => Element is PrimitiveType { Kind: PrimitiveKind.U8 };

    internal override void Write(StringBuilder text)
    {
        text.Append("list<");
        Element.Write(text);
        text.Append('>');
    }
}

/// <summary>A named, typed record field.</summary>
/// <param name="Name">The label.</param>
/// <param name="Type">The type.</param>
public readonly record struct Field(string Name, ValType Type);

/// <summary>A variant case; <paramref name="Type"/> is <see langword="null"/> for a case without payload.</summary>
/// <param name="Name">The label.</param>
/// <param name="Type">The payload type, if any.</param>
public readonly record struct Case(string Name, ValType? Type);

/// <summary>A record: named fields in order; values are <see cref="object"/>[] in field order.</summary>
public sealed class RecordType : ValType
{
    internal RecordType(IReadOnlyList<Field> fields) =>
        Fields = fields.Count > 0 ? fields : throw new ArgumentException("a record needs at least one field", nameof(fields));

    /// <summary>The fields.</summary>
    public IReadOnlyList<Field> Fields { get; }

    internal override void Write(StringBuilder text)
    {
        text.Append("record { ");
        for (var i = 0; i < Fields.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(Fields[i].Name).Append(": ");
            Fields[i].Type.Write(text);
        }

        text.Append(" }");
    }
}

/// <summary>A tuple; values are <see cref="object"/>[].</summary>
public sealed class TupleType : ValType
{
    internal TupleType(IReadOnlyList<ValType> elements) =>
        Elements = elements.Count > 0 ? elements : throw new ArgumentException("a tuple needs at least one element", nameof(elements));

    /// <summary>The element types.</summary>
    public IReadOnlyList<ValType> Elements { get; }

    internal override void Write(StringBuilder text)
    {
        text.Append("tuple<");
        for (var i = 0; i < Elements.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ");
            Elements[i].Write(text);
        }

        text.Append('>');
    }
}

/// <summary>A variant; values are <see cref="Variant"/>.</summary>
public sealed class VariantType : ValType
{
    internal VariantType(IReadOnlyList<Case> cases) =>
        Cases = cases.Count > 0 ? cases : throw new ArgumentException("a variant needs at least one case", nameof(cases));

    /// <summary>The cases.</summary>
    public IReadOnlyList<Case> Cases { get; }

    /// <summary>The index of the case named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No case has that name.</exception>
    public int CaseIndex(string name)
    {
        for (var i = 0; i < Cases.Count; i++)
        {
            if (Cases[i].Name == name)
            {
                return i;
            }
        }

        throw new ArgumentException($"{this} has no case {name}", nameof(name));
    }

    internal override void Write(StringBuilder text)
    {
        text.Append("variant { ");
        for (var i = 0; i < Cases.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(Cases[i].Name);
            if (Cases[i].Type is { } payload)
            {
                text.Append('(');
                payload.Write(text);
                text.Append(')');
            }
        }

        text.Append(" }");
    }
}

/// <summary>An enum; values are the case index as <see cref="int"/>.</summary>
public sealed class EnumType : ValType
{
    internal EnumType(IReadOnlyList<string> cases) =>
        Cases = cases.Count > 0 ? cases : throw new ArgumentException("an enum needs at least one case", nameof(cases));

    /// <summary>The case names.</summary>
    public IReadOnlyList<string> Cases { get; }

    internal override void Write(StringBuilder text) => text.Append("enum { ").AppendJoin(", ", Cases).Append(" }");
}

/// <summary>Flags (at most 32); values are a <see cref="uint"/> with bit <c>i</c> for flag <c>i</c>.</summary>
public sealed class FlagsType : ValType
{
    internal FlagsType(IReadOnlyList<string> names) =>
        Names = names.Count is > 0 and <= 32 ? names : throw new ArgumentException("flags need 1 to 32 names", nameof(names));

    /// <summary>The flag names in bit order.</summary>
    public IReadOnlyList<string> Names { get; }

    internal override void Write(StringBuilder text) => text.Append("flags { ").AppendJoin(", ", Names).Append(" }");
}

/// <summary><c>option&lt;T&gt;</c>; values are <see cref="Variant"/> (case 0 none, case 1 some).</summary>
public sealed class OptionType : ValType
{
    internal OptionType(ValType payload) => Payload = payload ?? throw new ArgumentNullException(nameof(payload));

    /// <summary>The payload type.</summary>
    public ValType Payload { get; }

    internal override void Write(StringBuilder text)
    {
        text.Append("option<");
        Payload.Write(text);
        text.Append('>');
    }
}

/// <summary><c>result&lt;T, E&gt;</c>; values are <see cref="Variant"/> (case 0 ok, case 1 error).</summary>
public sealed class ResultType : ValType
{
    internal ResultType(ValType? ok, ValType? error)
    {
        Ok = ok;
        Error = error;
    }

    /// <summary>The ok payload, if any.</summary>
    public ValType? Ok { get; }

    /// <summary>The error payload, if any.</summary>
    public ValType? Error { get; }

    internal override void Write(StringBuilder text)
    {
        text.Append("result<");
        Write(text, Ok);
        text.Append(", ");
        Write(text, Error);
        text.Append('>');
    }
}

/// <summary><c>own&lt;R&gt;</c>.</summary>
public sealed class OwnType : ValType
{
    internal OwnType(ResourceType resource) => Resource = resource ?? throw new ArgumentNullException(nameof(resource));

    /// <summary>The resource type.</summary>
    public ResourceType Resource { get; }

    internal override void Write(StringBuilder text) => text.Append("own<").Append(Resource.Name).Append('>');
}

/// <summary><c>borrow&lt;R&gt;</c>.</summary>
public sealed class BorrowType : ValType
{
    internal BorrowType(ResourceType resource) => Resource = resource ?? throw new ArgumentNullException(nameof(resource));

    /// <summary>The resource type.</summary>
    public ResourceType Resource { get; }

    internal override void Write(StringBuilder text) => text.Append("borrow<").Append(Resource.Name).Append('>');
}

/// <summary>A value of a variant, option or result type: the case index and its payload (or <see langword="null"/>).</summary>
/// <param name="Case">The case index.</param>
/// <param name="Payload">The payload, <see langword="null"/> for a case without one.</param>
public sealed record Variant(int Case, object? Payload)
{
    /// <summary><c>none</c>.</summary>
    public static Variant None { get; } = new(0, null);

    /// <summary><c>ok</c> without payload.</summary>
    public static Variant OkUnit { get; } = new(0, null);

    /// <summary><c>some(value)</c>.</summary>
    public static Variant Some(object? value) => new(1, value);

    /// <summary><c>ok(value)</c>.</summary>
    public static Variant Ok(object? value) => new(0, value);

    /// <summary><c>err(value)</c>.</summary>
    public static Variant Err(object? value) => new(1, value);
}

/// <summary>A function type: parameters and an optional result.</summary>
public sealed class FunctionType
{
    /// <summary>Creates the type.</summary>
    public FunctionType(IReadOnlyList<Field> parameters, ValType? result)
    {
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        Result = result;
    }

    /// <summary>The parameters in order.</summary>
    public IReadOnlyList<Field> Parameters { get; }

    /// <summary>The result, or <see langword="null"/> for none.</summary>
    public ValType? Result { get; }

    /// <summary>Whether two function types have the same parameter and result types (parameter names are not compared).</summary>
    public static bool Same(FunctionType a, FunctionType b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Parameters.Count != b.Parameters.Count || !ValType.Same(a.Result, b.Result))
        {
            return false;
        }

        for (var i = 0; i < a.Parameters.Count; i++)
        {
            if (!ValType.Same(a.Parameters[i].Type, b.Parameters[i].Type))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The type in WIT syntax.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("func(");
        for (var i = 0; i < Parameters.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(Parameters[i].Name).Append(": ");
            Parameters[i].Type.Write(text);
        }

        text.Append(')');
        if (Result is not null)
        {
            text.Append(" -> ");
            Result.Write(text);
        }

        return text.ToString();
    }
}

/// <summary>A type outside the synchronous MVP (stream, future, error-context, ...); components using one are refused.</summary>
internal sealed class UnsupportedValueType : ValType
{
    public UnsupportedValueType(string feature) => Feature = feature;

    public string Feature { get; }

    internal override void Write(StringBuilder text) => text.Append('<').Append(Feature).Append('>');
}
