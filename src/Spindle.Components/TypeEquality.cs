namespace Spindle.Components;

/// <summary>Structural type equality: labels and shapes match, and resource types are the same objects.</summary>
internal static class TypeEquality
{
    public static bool Same(ValType? a, ValType? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        return (a, b) switch
        {
            (null, _) or (_, null) => false,
            (PrimitiveType x, PrimitiveType y) => x.Kind == y.Kind,
            (ListType x, ListType y) => Same(x.Element, y.Element),
            (OptionType x, OptionType y) => Same(x.Payload, y.Payload),
            (ResultType x, ResultType y) => Same(x.Ok, y.Ok) && Same(x.Error, y.Error),
            (OwnType x, OwnType y) => ReferenceEquals(x.Resource, y.Resource),
            (BorrowType x, BorrowType y) => ReferenceEquals(x.Resource, y.Resource),
            (EnumType x, EnumType y) => x.Cases.SequenceEqual(y.Cases, StringComparer.Ordinal),
            (FlagsType x, FlagsType y) => x.Names.SequenceEqual(y.Names, StringComparer.Ordinal),
            (TupleType x, TupleType y) => x.Elements.Count == y.Elements.Count && x.Elements.Zip(y.Elements).All(p => Same(p.First, p.Second)),
            (RecordType x, RecordType y) => x.Fields.Count == y.Fields.Count
                && x.Fields.Zip(y.Fields).All(p => p.First.Name == p.Second.Name && Same(p.First.Type, p.Second.Type)),
            (VariantType x, VariantType y) => x.Cases.Count == y.Cases.Count
                && x.Cases.Zip(y.Cases).All(p => p.First.Name == p.Second.Name && Same(p.First.Type, p.Second.Type)),
            _ => false,
        };
    }
}
