namespace Spindle.Components.Binary;

/// <summary>The sorts of the component and core index spaces.</summary>
internal enum Sort : byte
{
    CoreFunc,
    CoreTable,
    CoreMemory,
    CoreGlobal,
    CoreType,
    CoreModule,
    CoreInstance,
    Func,
    Value,
    Type,
    Component,
    Instance,
}

/// <summary>A parsed component: its definitions in binary order, each appending to one index space.</summary>
internal sealed class ComponentSyntax
{
    public List<Definition> Definitions { get; } = [];
}

internal abstract record Definition;

internal sealed record CoreModuleDefinition(ReadOnlyMemory<byte> Bytes, int Ordinal) : Definition;

internal sealed record CoreInstantiateDefinition(uint Module, IReadOnlyList<(string Name, uint Instance)> Arguments) : Definition;

internal sealed record CoreInlineExportsDefinition(IReadOnlyList<(string Name, Sort Sort, uint Index)> Exports) : Definition;

internal sealed record CoreTypeDefinition : Definition;

internal sealed record ComponentDefinition(ComponentSyntax Component) : Definition;

internal sealed record InstantiateDefinition(uint Component, IReadOnlyList<(string Name, Sort Sort, uint Index)> Arguments) : Definition;

internal sealed record InlineExportsDefinition(IReadOnlyList<(string Name, Sort Sort, uint Index)> Exports) : Definition;

internal sealed record AliasExportDefinition(Sort Sort, uint Instance, string Name) : Definition;

internal sealed record AliasCoreExportDefinition(Sort Sort, uint Instance, string Name) : Definition;

internal sealed record AliasOuterDefinition(Sort Sort, uint Count, uint Index) : Definition;

internal sealed record TypeDefinition(TypeSyntax Type) : Definition;

internal sealed record CanonLiftDefinition(uint CoreFunc, CanonOptions Options, uint Type) : Definition;

internal sealed record CanonLowerDefinition(uint Func, CanonOptions Options) : Definition;

internal enum ResourceBuiltin : byte
{
    New,
    Drop,
    Rep,
}

internal sealed record CanonResourceDefinition(ResourceBuiltin Builtin, uint Type) : Definition;

/// <summary>A construct outside the synchronous MVP; refused when the component is linked.</summary>
internal sealed record UnsupportedDefinition(Sort Sort, string Feature) : Definition;

internal sealed record ImportDefinition(string Name, ExternSyntax Type) : Definition;

internal sealed record ExportDefinition(string Name, Sort Sort, uint Index, ExternSyntax? Type) : Definition;

internal enum StringEncoding : byte
{
    Utf8,
    Utf16,
    Latin1Utf16,
}

internal sealed record CanonOptions(StringEncoding Encoding, uint? Memory, uint? Realloc, uint? PostReturn, string? Unsupported);

/// <summary>A value type reference: a primitive, or an index into the type index space.</summary>
internal readonly record struct TypeRef(PrimitiveKind? Primitive, uint Index, string? Unsupported = null);

internal abstract record TypeSyntax;

internal sealed record PrimitiveSyntax(PrimitiveKind Kind) : TypeSyntax;

internal sealed record RecordSyntax(IReadOnlyList<(string Name, TypeRef Type)> Fields) : TypeSyntax;

internal sealed record VariantSyntax(IReadOnlyList<(string Name, TypeRef? Type)> Cases) : TypeSyntax;

internal sealed record ListSyntax(TypeRef Element) : TypeSyntax;

internal sealed record TupleSyntax(IReadOnlyList<TypeRef> Elements) : TypeSyntax;

internal sealed record FlagsSyntax(IReadOnlyList<string> Names) : TypeSyntax;

internal sealed record EnumSyntax(IReadOnlyList<string> Cases) : TypeSyntax;

internal sealed record OptionSyntax(TypeRef Payload) : TypeSyntax;

internal sealed record ResultSyntax(TypeRef? Ok, TypeRef? Error) : TypeSyntax;

internal sealed record OwnSyntax(uint Resource) : TypeSyntax;

internal sealed record BorrowSyntax(uint Resource) : TypeSyntax;

internal sealed record FuncSyntax(IReadOnlyList<(string Name, TypeRef Type)> Parameters, TypeRef? Result) : TypeSyntax;

internal sealed record ResourceSyntax(uint? Destructor) : TypeSyntax;

internal sealed record InstanceTypeSyntax(IReadOnlyList<Declaration> Declarations) : TypeSyntax;

internal sealed record ComponentTypeSyntax(IReadOnlyList<Declaration> Declarations) : TypeSyntax;

internal sealed record UnsupportedTypeSyntax(string Feature) : TypeSyntax;

/// <summary>A declaration inside an instance or component type.</summary>
internal abstract record Declaration;

internal sealed record TypeDeclaration(TypeSyntax Type) : Declaration;

internal sealed record CoreTypeDeclaration : Declaration;

internal sealed record AliasDeclaration(Definition Alias) : Declaration;

internal sealed record ExportDeclaration(string Name, ExternSyntax Type) : Declaration;

internal sealed record ImportDeclaration(string Name, ExternSyntax Type) : Declaration;

internal enum ExternKind : byte
{
    CoreModule,
    Func,
    Value,
    Type,
    Component,
    Instance,
}

/// <summary>
/// An import's or export's type: for <see cref="ExternKind.Type"/>, <see cref="Index"/> is the <c>eq</c> target
/// unless <see cref="SubResource"/>; otherwise it is the index of the func, component or instance type.
/// </summary>
internal sealed record ExternSyntax(ExternKind Kind, uint Index, bool SubResource);
