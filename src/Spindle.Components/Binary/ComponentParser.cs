using System.Text;

namespace Spindle.Components.Binary;

/// <summary>
/// Reads the component binary format (design/mvp/Binary.md) into <see cref="ComponentSyntax"/>. Only structure is
/// read here; types are resolved and checked when the component is linked. Constructs outside the synchronous MVP
/// are kept as "unsupported" nodes so the linker can refuse them naming the import or export that uses them.
/// </summary>
internal ref struct ComponentParser
{
    // Components and component/instance types nest by recursion here (and in the linker); real toolchains nest two or
    // three deep. The bound keeps a hostile binary from overflowing the stack, which would end the process.
    private const int MaxNesting = 100;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlyMemory<byte> _whole;
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly int _origin;
    private int _position;
    private int _coreModules;
    private int _nesting;

    private ComponentParser(ReadOnlyMemory<byte> whole, int origin, int length)
    {
        _whole = whole;
        _bytes = whole.Span.Slice(origin, length);
        _origin = origin;
        _position = 0;
        _coreModules = 0;
    }

    /// <summary>Whether <paramref name="bytes"/> start with a component preamble (not a core module).</summary>
    public static bool IsComponent(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 8 && bytes[..4].SequenceEqual("\0asm"u8) && bytes[6] == 1 && bytes[7] == 0;

    /// <exception cref="ComponentLoadException">The bytes are not a well-formed component.</exception>
    public static ComponentSyntax Parse(ReadOnlyMemory<byte> bytes)
    {
        var ordinal = 0;
        return Parse(bytes, 0, bytes.Length, ref ordinal, nesting: 0);
    }

    private static ComponentSyntax Parse(ReadOnlyMemory<byte> whole, int origin, int length, ref int moduleOrdinal, int nesting)
    {
        var parser = new ComponentParser(whole, origin, length) { _coreModules = moduleOrdinal, _nesting = nesting };
        var syntax = parser.ParseComponent();
        moduleOrdinal = parser._coreModules;
        return syntax;
    }

    private ComponentSyntax ParseComponent()
    {
        if (_bytes.Length < 8 || !_bytes[..4].SequenceEqual("\0asm"u8))
        {
            throw Error("not a WebAssembly binary (no \\0asm magic)");
        }

        if (_bytes[6] != 1 || _bytes[7] != 0)
        {
            throw Error("a core module, not a component");
        }

        if (_bytes[4] != 0x0d || _bytes[5] != 0)
        {
            throw Error($"component binary version 0x{_bytes[4]:x2}{_bytes[5]:x2} is not supported (expected 0x0d00, as wit-component emits)");
        }

        _position = 8;
        var component = new ComponentSyntax();
        while (_position < _bytes.Length)
        {
            var id = ReadByte();

            // Compared unsigned: a size of 2^31 or more must not become a negative int (it would move backwards).
            var size = ReadU32();
            if (size > (uint)(_bytes.Length - _position))
            {
                throw Error($"section {id} runs past the end of the binary");
            }

            var end = _position + (int)size;
            ParseSection(component.Definitions, id, (int)size);
            if (_position != end)
            {
                throw Error(_position < end
                    ? $"section {id} has {end - _position} bytes left over"
                    : $"section {id}'s contents run {_position - end} bytes past the section's size");
            }
        }

        return component;
    }

    private void ParseSection(List<Definition> definitions, byte id, int size)
    {
        switch (id)
        {
            case 0:
                _position += size;
                break;
            case 1:
                definitions.Add(new CoreModuleDefinition(_whole.Slice(_origin + _position, size), _coreModules++));
                _position += size;
                break;
            case 2:
                ReadVector(definitions, static (ref ComponentParser p) => p.ReadCoreInstance());
                break;
            case 3:
                ReadVector(definitions, static (ref ComponentParser p) => p.ReadCoreType());
                break;
            case 4:
                var ordinal = _coreModules;
                Nest();
                definitions.Add(new ComponentDefinition(Parse(_whole, _origin + _position, size, ref ordinal, _nesting)));
                _nesting--;
                _coreModules = ordinal;
                _position += size;
                break;
            case 5:
                ReadVector(definitions, static (ref ComponentParser p) => p.ReadInstance());
                break;
            case 6:
                ReadVector(definitions, static (ref ComponentParser p) => p.ReadAlias());
                break;
            case 7:
                ReadVector(definitions, static (ref ComponentParser p) => new TypeDefinition(p.ReadType()));
                break;
            case 8:
                ReadVector(definitions, static (ref ComponentParser p) => p.ReadCanon());
                break;
            case 9:
                throw Error("uses a component start function (section 9), which is outside the synchronous MVP this host supports");
            case 10:
                ReadVector(definitions, static (ref ComponentParser p) => new ImportDefinition(p.ReadExternName(), p.ReadExternType()));
                break;
            case 11:
                ReadVector(definitions, static (ref ComponentParser p) => p.ReadExport());
                break;
            case 12:
                throw Error("uses component values (section 12), which are outside the synchronous MVP this host supports");
            default:
                throw Error($"unknown section id {id}");
        }
    }

    private delegate Definition DefinitionReader(ref ComponentParser parser);

    private void ReadVector(List<Definition> definitions, DefinitionReader read)
    {
        var count = ReadU32();
        for (var i = 0u; i < count; i++)
        {
            definitions.Add(read(ref this));
        }
    }

    private Definition ReadCoreInstance()
    {
        switch (ReadByte())
        {
            case 0x00:
                var module = ReadU32();
                var count = ReadCount();
                var arguments = new List<(string, uint)>(count);
                for (var i = 0; i < count; i++)
                {
                    var name = ReadName();
                    if (ReadByte() != 0x12)
                    {
                        throw Error("a core instantiate argument that is not an instance");
                    }

                    arguments.Add((name, ReadU32()));
                }

                return new CoreInstantiateDefinition(module, arguments);
            case 0x01:
                var exports = ReadCount();
                var list = new List<(string, Sort, uint)>(exports);
                for (var i = 0; i < exports; i++)
                {
                    var name = ReadName();
                    var sort = ReadCoreSort();
                    list.Add((name, sort, ReadU32()));
                }

                return new CoreInlineExportsDefinition(list);
            default:
                throw Error("unknown core instance form");
        }
    }

    private CoreTypeDefinition ReadCoreType()
    {
        SkipCoreType();
        return new CoreTypeDefinition();
    }

    // Core types are only ever referenced from core module types, which Spindle does not check (Wasmtime validates
    // the core modules themselves); they are read to keep the index space and the position right.
    private void SkipCoreType()
    {
        var form = ReadByte();
        switch (form)
        {
            case 0x60:
                SkipCoreValTypes();
                SkipCoreValTypes();
                break;
            case 0x50:
                Nest();
                var count = ReadCount();
                for (var i = 0; i < count; i++)
                {
                    switch (ReadByte())
                    {
                        case 0x00:
                            ReadName();
                            ReadName();
                            SkipCoreExternType();
                            break;
                        case 0x01:
                            SkipCoreType();
                            break;
                        case 0x02:
                            ReadByte();
                            ReadByte();
                            ReadU32();
                            ReadU32();
                            break;
                        case 0x03:
                            ReadName();
                            SkipCoreExternType();
                            break;
                        default:
                            throw Error("unknown core module type declaration");
                    }
                }

                _nesting--;
                break;
            default:
                throw Error($"core type form 0x{form:x2} (GC types) is not supported");
        }
    }

    private void SkipCoreValTypes()
    {
        var count = ReadCount();
        for (var i = 0; i < count; i++)
        {
            var kind = ReadByte();
            if (kind is not (0x7f or 0x7e or 0x7d or 0x7c or 0x7b or 0x70 or 0x6f))
            {
                throw Error($"core value type 0x{kind:x2} is not supported");
            }
        }
    }

    private void SkipCoreExternType()
    {
        switch (ReadByte())
        {
            case 0x00:
                ReadU32();
                break;
            case 0x01:
                ReadByte();
                SkipLimits();
                break;
            case 0x02:
                SkipLimits();
                break;
            case 0x03:
                ReadByte();
                ReadByte();
                break;
            default:
                throw Error("unknown core extern type");
        }
    }

    private void SkipLimits()
    {
        var flags = ReadByte();
        ReadU64();
        if ((flags & 1) != 0)
        {
            ReadU64();
        }
    }

    private Definition ReadInstance()
    {
        switch (ReadByte())
        {
            case 0x00:
                var component = ReadU32();
                var count = ReadCount();
                var arguments = new List<(string, Sort, uint)>(count);
                for (var i = 0; i < count; i++)
                {
                    var name = ReadName();
                    var sort = ReadSort();
                    arguments.Add((name, sort, ReadU32()));
                }

                return new InstantiateDefinition(component, arguments);
            case 0x01:
                var exports = ReadCount();
                var list = new List<(string, Sort, uint)>(exports);
                for (var i = 0; i < exports; i++)
                {
                    var name = ReadExternName();
                    var sort = ReadSort();
                    list.Add((name, sort, ReadU32()));
                }

                return new InlineExportsDefinition(list);
            default:
                throw Error("unknown instance form");
        }
    }

    private Definition ReadAlias()
    {
        var sort = ReadSort();
        switch (ReadByte())
        {
            case 0x00:
                var instance = ReadU32();
                return new AliasExportDefinition(sort, instance, ReadName());
            case 0x01:
                var coreInstance = ReadU32();
                return new AliasCoreExportDefinition(sort, coreInstance, ReadName());
            case 0x02:
                var count = ReadU32();
                return new AliasOuterDefinition(sort, count, ReadU32());
            default:
                throw Error("unknown alias form");
        }
    }

    private Definition ReadCanon()
    {
        var opcode = ReadByte();
        switch (opcode)
        {
            case 0x00:
                Expect(0x00, "canon lift of a sort other than func");
                var coreFunc = ReadU32();
                var liftOptions = ReadCanonOptions();
                return new CanonLiftDefinition(coreFunc, liftOptions, ReadU32());
            case 0x01:
                Expect(0x00, "canon lower of a sort other than func");
                var func = ReadU32();
                return new CanonLowerDefinition(func, ReadCanonOptions());
            case 0x02:
                return new CanonResourceDefinition(ResourceBuiltin.New, ReadU32());
            case 0x03:
                return new CanonResourceDefinition(ResourceBuiltin.Drop, ReadU32());
            case 0x04:
                return new CanonResourceDefinition(ResourceBuiltin.Rep, ReadU32());
            case 0x07:
                // resource.drop async (an older encoding) is still an async built-in.
                ReadU32();
                return new UnsupportedDefinition(Sort.CoreFunc, "the async built-in resource.drop async");
            default:
                return new UnsupportedDefinition(Sort.CoreFunc, SkipAsyncBuiltin(opcode));
        }
    }

    // Reads past an async, thread or error-context built-in so the rest of the component still parses, and names it.
    private string SkipAsyncBuiltin(byte opcode)
    {
        switch (opcode)
        {
            case 0x05: return Named("task.cancel");
            case 0x06: ReadByte(); return Named("subtask.cancel");
            case 0x08: return Named("backpressure.set");
            case 0x09: ReadResultList(); ReadCanonOptions(); return Named("task.return");
            case 0x0a: ReadByte(); ReadU32(); return Named("context.get");
            case 0x0b: ReadByte(); ReadU32(); return Named("context.set");
            case 0x0c: ReadByte(); return Named("thread.yield");
            case 0x0d: return Named("subtask.drop");
            case 0x0e: ReadU32(); return Named("stream.new");
            case 0x0f: ReadU32(); ReadCanonOptions(); return Named("stream.read");
            case 0x10: ReadU32(); ReadCanonOptions(); return Named("stream.write");
            case 0x11: ReadU32(); ReadByte(); return Named("stream.cancel-read");
            case 0x12: ReadU32(); ReadByte(); return Named("stream.cancel-write");
            case 0x13: ReadU32(); return Named("stream.drop-readable");
            case 0x14: ReadU32(); return Named("stream.drop-writable");
            case 0x15: ReadU32(); return Named("future.new");
            case 0x16: ReadU32(); ReadCanonOptions(); return Named("future.read");
            case 0x17: ReadU32(); ReadCanonOptions(); return Named("future.write");
            case 0x18: ReadU32(); ReadByte(); return Named("future.cancel-read");
            case 0x19: ReadU32(); ReadByte(); return Named("future.cancel-write");
            case 0x1a: ReadU32(); return Named("future.drop-readable");
            case 0x1b: ReadU32(); return Named("future.drop-writable");
            case 0x1c: ReadCanonOptions(); return Named("error-context.new");
            case 0x1d: ReadCanonOptions(); return Named("error-context.debug-message");
            case 0x1e: return Named("error-context.drop");
            case 0x1f: return Named("waitable-set.new");
            case 0x20: ReadByte(); ReadU32(); return Named("waitable-set.wait");
            case 0x21: ReadByte(); ReadU32(); return Named("waitable-set.poll");
            case 0x22: return Named("waitable-set.drop");
            case 0x23: return Named("waitable.join");
            case 0x24: return Named("backpressure.inc");
            case 0x25: return Named("backpressure.dec");
            case 0x26: return Named("thread.index");
            case 0x27: ReadU32(); ReadU32(); return Named("thread.new-indirect");
            case 0x28: return Named("thread.resume-later");
            case >= 0x29 and <= 0x2d: ReadByte(); return Named("a thread built-in");
            case 0x40: ReadByte(); ReadU32(); return Named("thread.spawn-ref");
            case 0x41: ReadByte(); ReadU32(); ReadU32(); return Named("thread.spawn-indirect");
            case 0x42: ReadByte(); return Named("thread.available-parallelism");
            default: throw Error($"unknown canon opcode 0x{opcode:x2}");
        }

        static string Named(string builtin) => $"the async/thread built-in {builtin}";
    }

    private CanonOptions ReadCanonOptions()
    {
        var encoding = StringEncoding.Utf8;
        uint? memory = null, realloc = null, postReturn = null;
        string? unsupported = null;
        var count = ReadCount();
        for (var i = 0; i < count; i++)
        {
            switch (ReadByte())
            {
                case 0x00: encoding = StringEncoding.Utf8; break;
                case 0x01: encoding = StringEncoding.Utf16; break;
                case 0x02: encoding = StringEncoding.Latin1Utf16; break;
                case 0x03: memory = ReadU32(); break;
                case 0x04: realloc = ReadU32(); break;
                case 0x05: postReturn = ReadU32(); break;
                case 0x06: unsupported = "the async canon option"; break;
                case 0x07: ReadU32(); unsupported = "the async callback canon option"; break;
                case var other: throw Error($"unknown canon option 0x{other:x2}");
            }
        }

        return new CanonOptions(encoding, memory, realloc, postReturn, unsupported);
    }

    private TypeSyntax ReadType()
    {
        var form = ReadByte();
        switch (form)
        {
            case 0x40:
                var parameters = ReadLabeledTypes();
                return new FuncSyntax(parameters, ReadResultList());
            case 0x43:
                ReadLabeledTypes();
                ReadResultList();
                return new UnsupportedTypeSyntax("an async function type");
            case 0x41:
                Nest();
                var component = new ComponentTypeSyntax(ReadDeclarations(component: true));
                _nesting--;
                return component;
            case 0x42:
                Nest();
                var instance = new InstanceTypeSyntax(ReadDeclarations(component: false));
                _nesting--;
                return instance;
            case 0x3f:
                if (ReadByte() != 0x7f)
                {
                    throw Error("a resource representation other than i32");
                }

                uint? destructor = ReadByte() switch
                {
                    0x00 => null,
                    0x01 => ReadU32(),
                    _ => throw Error("malformed resource destructor"),
                };
                return new ResourceSyntax(destructor);
            case 0x3e:
                ReadByte();
                ReadOptionalU32();
                ReadOptionalU32();
                return new UnsupportedTypeSyntax("an async resource type");
            default:
                return ReadDefinedValueType(form);
        }
    }

    private TypeSyntax ReadDefinedValueType(byte form)
    {
        if (Primitive(form) is { } primitive)
        {
            return new PrimitiveSyntax(primitive);
        }

        switch (form)
        {
            case 0x72:
                return new RecordSyntax(ReadLabeledTypes());
            case 0x71:
                var count = ReadCount();
                var cases = new List<(string, TypeRef?)>(count);
                for (var i = 0; i < count; i++)
                {
                    var name = ReadName();
                    var payload = ReadOptionalTypeRef();
                    if (ReadByte() != 0x00)
                    {
                        throw Error("variant case refinements are not supported");
                    }

                    cases.Add((name, payload));
                }

                return new VariantSyntax(cases);
            case 0x70:
                return new ListSyntax(ReadTypeRef());
            case 0x67:
                ReadTypeRef();
                ReadU32();
                return new UnsupportedTypeSyntax("a fixed-length list");
            case 0x6f:
                var elements = ReadCount();
                var list = new List<TypeRef>(elements);
                for (var i = 0; i < elements; i++)
                {
                    list.Add(ReadTypeRef());
                }

                return new TupleSyntax(list);
            case 0x6e:
                return new FlagsSyntax(ReadNames());
            case 0x6d:
                return new EnumSyntax(ReadNames());
            case 0x6b:
                return new OptionSyntax(ReadTypeRef());
            case 0x6a:
                var ok = ReadOptionalTypeRef();
                return new ResultSyntax(ok, ReadOptionalTypeRef());
            case 0x69:
                return new OwnSyntax(ReadU32());
            case 0x68:
                return new BorrowSyntax(ReadU32());
            case 0x66:
                ReadOptionalTypeRef();
                return new UnsupportedTypeSyntax("the stream type");
            case 0x65:
                ReadOptionalTypeRef();
                return new UnsupportedTypeSyntax("the future type");
            case 0x64:
                return new UnsupportedTypeSyntax("the error-context type");
            case 0x63:
                ReadTypeRef();
                ReadTypeRef();
                return new UnsupportedTypeSyntax("the map type");
            default:
                throw Error($"unknown type form 0x{form:x2}");
        }
    }

    private static PrimitiveKind? Primitive(byte form) => form switch
    {
        0x7f => PrimitiveKind.Bool,
        0x7e => PrimitiveKind.S8,
        0x7d => PrimitiveKind.U8,
        0x7c => PrimitiveKind.S16,
        0x7b => PrimitiveKind.U16,
        0x7a => PrimitiveKind.S32,
        0x79 => PrimitiveKind.U32,
        0x78 => PrimitiveKind.S64,
        0x77 => PrimitiveKind.U64,
        0x76 => PrimitiveKind.F32,
        0x75 => PrimitiveKind.F64,
        0x74 => PrimitiveKind.Char,
        0x73 => PrimitiveKind.String,
        _ => null,
    };

    private List<Declaration> ReadDeclarations(bool component)
    {
        var count = ReadCount();
        var declarations = new List<Declaration>(count);
        for (var i = 0; i < count; i++)
        {
            var kind = ReadByte();
            declarations.Add(kind switch
            {
                0x00 => SkipThen(new CoreTypeDeclaration()),
                0x01 => new TypeDeclaration(ReadType()),
                0x02 => new AliasDeclaration(ReadAlias()),
                0x03 when component => new ImportDeclaration(ReadExternName(), ReadExternType()),
                0x04 => new ExportDeclaration(ReadExternName(), ReadExternType()),
                _ => throw Error($"unknown {(component ? "component" : "instance")} type declaration 0x{kind:x2}"),
            });
        }

        return declarations;
    }

    private Declaration SkipThen(Declaration declaration)
    {
        SkipCoreType();
        return declaration;
    }

    private List<(string, TypeRef)> ReadLabeledTypes()
    {
        var count = ReadCount();
        var list = new List<(string, TypeRef)>(count);
        for (var i = 0; i < count; i++)
        {
            var name = ReadName();
            list.Add((name, ReadTypeRef()));
        }

        return list;
    }

    private TypeRef? ReadResultList()
    {
        switch (ReadByte())
        {
            case 0x00:
                return ReadTypeRef();
            case 0x01:
                // Zero named results is the encoding of "no result"; named results are no longer in the spec.
                if (ReadU32() != 0)
                {
                    throw Error("named function results (an encoding older wit-component versions used) are not supported");
                }

                return null;
            default:
                throw Error("malformed function result list");
        }
    }

    private ExportDefinition ReadExport()
    {
        var name = ReadExternName();
        var sort = ReadSort();
        var index = ReadU32();
        var type = ReadByte() switch
        {
            0x00 => null,
            0x01 => ReadExternType(),
            _ => throw Error("malformed export type ascription"),
        };
        return new ExportDefinition(name, sort, index, type);
    }

    private ExternSyntax ReadExternType()
    {
        var kind = ReadByte();
        switch (kind)
        {
            case 0x00:
                Expect(0x11, "a core extern type other than module");
                return new ExternSyntax(ExternKind.CoreModule, ReadU32(), false);
            case 0x01:
                return new ExternSyntax(ExternKind.Func, ReadU32(), false);
            case 0x02:
                throw Error("uses component values, which are outside the synchronous MVP this host supports");
            case 0x03:
                return ReadByte() switch
                {
                    0x00 => new ExternSyntax(ExternKind.Type, ReadU32(), false),
                    0x01 => new ExternSyntax(ExternKind.Type, 0, true),
                    _ => throw Error("malformed type bound"),
                };
            case 0x04:
                return new ExternSyntax(ExternKind.Component, ReadU32(), false);
            case 0x05:
                return new ExternSyntax(ExternKind.Instance, ReadU32(), false);
            default:
                throw Error($"unknown extern type 0x{kind:x2}");
        }
    }

    private string ReadExternName()
    {
        var form = ReadByte();
        var name = ReadName();
        switch (form)
        {
            case 0x00:
            case 0x01:
                return name;
            case 0x02:
                // Attributes (implements, version suffix, external id) do not change how Spindle links the import.
                var count = ReadCount();
                for (var i = 0; i < count; i++)
                {
                    ReadByte();
                    ReadName();
                }

                return name;
            default:
                throw Error("malformed import or export name");
        }
    }

    private Sort ReadSort()
    {
        var sort = ReadByte();
        return sort switch
        {
            0x00 => ReadCoreSort(),
            0x01 => Sort.Func,
            0x02 => Sort.Value,
            0x03 => Sort.Type,
            0x04 => Sort.Component,
            0x05 => Sort.Instance,
            _ => throw Error($"unknown sort 0x{sort:x2}"),
        };
    }

    private Sort ReadCoreSort()
    {
        var sort = ReadByte();
        return sort switch
        {
            0x00 => Sort.CoreFunc,
            0x01 => Sort.CoreTable,
            0x02 => Sort.CoreMemory,
            0x03 => Sort.CoreGlobal,
            0x10 => Sort.CoreType,
            0x11 => Sort.CoreModule,
            0x12 => Sort.CoreInstance,
            0x04 => throw Error("core exception tags are not supported"),
            _ => throw Error($"unknown core sort 0x{sort:x2}"),
        };
    }

    // valtype: a non-negative s33 is a type index; a single negative byte is a primitive's opcode.
    private TypeRef ReadTypeRef()
    {
        var first = Peek();
        if ((first & 0xC0) == 0x40)
        {
            _position++;
            if (Primitive(first) is { } primitive)
            {
                return new TypeRef(primitive, 0);
            }

            return first == 0x64
                ? new TypeRef(null, 0, "the error-context type")
                : throw Error($"unknown value type 0x{first:x2}");
        }

        return new TypeRef(null, ReadU32());
    }

    private TypeRef? ReadOptionalTypeRef() => ReadByte() switch
    {
        0x00 => null,
        0x01 => ReadTypeRef(),
        _ => throw Error("malformed optional type"),
    };

    private uint? ReadOptionalU32() => ReadByte() switch
    {
        0x00 => null,
        0x01 => ReadU32(),
        _ => throw Error("malformed optional index"),
    };

    private List<string> ReadNames()
    {
        var count = ReadCount();
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            names.Add(ReadName());
        }

        return names;
    }

    private string ReadName()
    {
        var length = ReadU32();
        if (length > (uint)(_bytes.Length - _position))
        {
            throw Error("a name runs past the end of the binary");
        }

        try
        {
            var name = StrictUtf8.GetString(_bytes.Slice(_position, (int)length));
            _position += (int)length;
            return name;
        }
        catch (DecoderFallbackException)
        {
            throw Error("a name is not valid UTF-8");
        }
    }

    private int ReadCount()
    {
        var count = ReadU32();

        // Every element takes at least one byte: a larger count is malformed, and must not size an allocation.
        return count <= (uint)(_bytes.Length - _position) ? (int)count : throw Error("a vector length runs past the end of the binary");
    }

    private void Nest()
    {
        if (++_nesting > MaxNesting)
        {
            throw Error($"components or types are nested more than {MaxNesting} deep");
        }
    }

    private void Expect(byte value, string what)
    {
        if (ReadByte() != value)
        {
            throw Error($"{what} is not supported");
        }
    }

    private byte Peek() => _position < _bytes.Length ? _bytes[_position] : throw Error("unexpected end of the binary");

    private byte ReadByte() => _position < _bytes.Length ? _bytes[_position++] : throw Error("unexpected end of the binary");

    private uint ReadU32()
    {
        uint result = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = ReadByte();
            result |= (uint)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                if (shift == 28 && b > 0x0f)
                {
                    throw Error("an integer does not fit in 32 bits");
                }

                return result;
            }
        }

        throw Error("an integer is longer than 5 bytes");
    }

    private ulong ReadU64()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw Error("an integer is longer than 10 bytes");
    }

    private readonly ComponentLoadException Error(string message) =>
        new($"malformed component at byte {_origin + _position}: {message}");
}
