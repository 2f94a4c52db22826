using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Spindle.Testing;
using Wasmtime;
using WasmtimeComponents = Wasmtime.Components;

namespace Spindle.Components.Tests;

/// <summary>values.wasm compiled once for both runtimes (its core modules for Spindle, the whole component for Wasmtime).</summary>
public sealed class ValuesComponent : IDisposable
{
    public ValuesComponent()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "wasm", "values.wasm"));
        Spindle = Component.Load(Engine, bytes, new HostDefinitions());
        Wasmtime = WasmtimeComponents.Component.FromBytes(Engine, bytes);
        Linker = new WasmtimeComponents.ComponentLinker(Engine);
    }

    public Engine Engine { get; } = new();

    public Component Spindle { get; }

    public WasmtimeComponents.Component Wasmtime { get; }

    public WasmtimeComponents.ComponentLinker Linker { get; }

    public void Dispose()
    {
        Linker.Dispose();
        Wasmtime.Dispose();
        Spindle.Dispose();
        Engine.Dispose();
    }
}

// Issue #8: the differential test. The committed component tests/wasm/values/values.wasm (exports over every value
// type, no resources, no imports: `jco wit` shows a world with the one export and nothing imported, so neither side
// needs WASI) is called with generated values through Spindle's Component Model layer and through Wasmtime's own
// (Wasmtime.Components of the same package); the results must agree with each other and with the transformation
// tests/wasm/values/README.md states for each function. Wasmtime's value model handles every type values.wit uses
// (its documented gaps are resources and maps, which the component does not use).
public sealed class DifferentialTests : IClassFixture<ValuesComponent>, IDisposable
{
    private const string Interface = "spindle:test/values";

    // Per export; every call is made on both runtimes and checked against the README.
    private const int CallsPerExport = 2000;

    private readonly ValuesComponent _component;
    private readonly Store _spindleStore;
    private readonly Store _wasmtimeStore;
    private readonly ComponentInstance _spindle;
    private readonly WasmtimeComponents.ComponentInstance _wasmtime;

    public DifferentialTests(ValuesComponent component)
    {
        _component = component;
        _spindleStore = new Store(component.Engine);
        _wasmtimeStore = new Store(component.Engine);
        _spindle = component.Spindle.Instantiate(_spindleStore);
        _wasmtime = component.Linker.Instantiate(_wasmtimeStore, component.Wasmtime);
    }

    public static TheoryData<string> Exports => [.. Expectations.Keys.Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        _spindle.Dispose();
        _spindleStore.Dispose();
        _wasmtimeStore.Dispose();
    }

    [Fact]
    public void Every_function_of_the_wit_is_covered_and_exported_by_both_runtimes()
    {
        var wit = File.ReadAllText(RepoPaths.Combine("wit", "deps", "spindle-test", "values.wit"));
        var declared = Regex.Matches(wit, @"^\s*([a-z][a-z0-9-]*): func", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(declared.Order(StringComparer.Ordinal), Expectations.Keys.Order(StringComparer.Ordinal));
        foreach (var name in declared)
        {
            Assert.NotNull(_spindle.GetFunction(Interface, name));
            Assert.NotNull(_wasmtime.GetFunction(Interface, name));
        }
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void An_export_gives_the_same_result_through_spindle_and_wasmtime_and_the_one_the_readme_states(string name)
    {
        var type = _component.Spindle.GetFunctionType(Interface, name)!;
        var spindle = _spindle.GetFunction(Interface, name)!;
        var wasmtime = _wasmtime.GetFunction(Interface, name)!;
        var expected = Expectations[name];
        var parameters = type.Parameters.Select(p => p.Type).ToArray();
        var calls = 0;
        ValueGen.Sequence(parameters).Sample(arguments =>
        {
            var fromSpindle = spindle.Invoke(arguments);
            var fromWasmtime = CallWasmtime(wasmtime, type, parameters, arguments);
            Assert.True(AbiValues.Same(fromSpindle, fromWasmtime), $"{name}({Describe(arguments)}): Spindle gave {Describe(fromSpindle)}, Wasmtime {Describe(fromWasmtime)}");
            var want = expected(arguments);
            Assert.True(AbiValues.Same(want, fromSpindle), $"{name}({Describe(arguments)}): expected {Describe(want)}, Spindle gave {Describe(fromSpindle)}");
            calls++;
        }, iter: CallsPerExport, threads: 1, print: Describe); // one Wasmtime store per runtime: never from two threads
        Assert.Equal(CallsPerExport, calls);
    }

    [Fact]
    public void The_readme_examples_hold_on_both_runtimes()
    {
        (string Name, object?[] Arguments, object? Result)[] examples =
        [
            ("inc-s8", [(sbyte)127], (sbyte)-128),
            ("inc-u64", [ulong.MaxValue], 0UL),
            ("negate-f32", [0f], -0f),
            ("next-char", [new Rune(0xD7FF)], new Rune(0xE000)),
            ("next-char", [new Rune(0x10FFFF)], new Rune(0)),
            ("reverse-string", ["héllo😀x"], "x😀olléh"),
            ("next-color", [2], 0),
            ("flip-bare-result", [Variant.OkUnit], new Variant(1, null)),
            ("invert-flags9", [0b1_0000_0001u], 0b0_1111_1110u),
            ("split", [0x0123_4567_89ab_cdefUL], new object?[] { 0x0123_4567u, 0x89ab_cdefu }),
        ];
        foreach (var (name, arguments, result) in examples)
        {
            var type = _component.Spindle.GetFunctionType(Interface, name)!;
            var parameters = type.Parameters.Select(p => p.Type).ToArray();
            Assert.True(AbiValues.Same(result, _spindle.GetFunction(Interface, name)!.Invoke(arguments)), $"Spindle: {name}");
            Assert.True(AbiValues.Same(result, CallWasmtime(_wasmtime.GetFunction(Interface, name)!, type, parameters, arguments)), $"Wasmtime: {name}");
            Assert.True(AbiValues.Same(result, Expectations[name](arguments)), $"the model: {name}");
        }
    }

    private static object? CallWasmtime(WasmtimeComponents.ComponentFunction function, FunctionType type, ValType[] parameters, object?[] arguments)
    {
        var result = function.Call([.. parameters.Select((t, i) => WasmtimeValues.ToWasmtime(t, arguments[i]))]);
        return type.Result is { } resultType ? WasmtimeValues.FromWasmtime(resultType, result!) : null;
    }

    // tests/wasm/values/README.md, "Expectations", one entry per function, on Spindle's representation.
    private static readonly Dictionary<string, Func<object?[], object?>> Expectations = new(StringComparer.Ordinal)
    {
        ["nothing"] = _ => null,
        ["negate-bool"] = a => !(bool)a[0]!,
        ["inc-s8"] = a => unchecked((sbyte)((sbyte)a[0]! + 1)),
        ["inc-u8"] = a => unchecked((byte)((byte)a[0]! + 1)),
        ["inc-s16"] = a => unchecked((short)((short)a[0]! + 1)),
        ["inc-u16"] = a => unchecked((ushort)((ushort)a[0]! + 1)),
        ["inc-s32"] = a => unchecked((int)a[0]! + 1),
        ["inc-u32"] = a => unchecked((uint)a[0]! + 1),
        ["inc-s64"] = a => unchecked((long)a[0]! + 1),
        ["inc-u64"] = a => unchecked((ulong)a[0]! + 1),
        ["negate-f32"] = a => -(float)a[0]!,
        ["negate-f64"] = a => -(double)a[0]!,
        ["next-char"] = a => NextChar((Rune)a[0]!),
        ["reverse-string"] = a => ReverseString((string)a[0]!),
        ["reverse-bytes"] = a => ((byte[])a[0]!).Reverse().ToArray(),
        ["reverse-strings"] = a => ((object?[])a[0]!).Reverse().ToArray(),
        ["reverse-inner"] = a => ((object?[])a[0]!).Select(inner => (object?)((object?[])inner!).Reverse().ToArray()).ToArray(),
        ["swap-point"] = a => SwapPoint(a[0]),
        ["bump-mixed"] = a => BumpMixed(a[0]),
        ["bump-mixed-list"] = a => ((object?[])a[0]!).Reverse().Select(BumpMixed).ToArray(),
        ["reverse-tuple"] = a => ((object?[])a[0]!).Reverse().ToArray(),
        ["bump-shape"] = a => BumpShape((Variant)a[0]!),
        ["negate-real"] = a => (Variant)a[0]! is { Case: 0 } single ? new Variant(0, -(float)single.Payload!) : new Variant(1, -(double)((Variant)a[0]!).Payload!),
        ["next-color"] = a => ((int)a[0]! + 1) % 3,
        ["inc-option"] = a => (Variant)a[0]! is { Case: 1 } some ? Variant.Some(unchecked((uint)some.Payload! + 1)) : Variant.None,
        ["echo-nested-option"] = a => a[0],
        ["flip-result"] = a => new Variant(1 - ((Variant)a[0]!).Case, ((Variant)a[0]!).Payload),
        ["flip-bare-result"] = a => new Variant(1 - ((Variant)a[0]!).Case, null),
        ["echo-nested-result"] = a => a[0],
        ["invert-flags1"] = a => ~(uint)a[0]! & 0x1u,
        ["invert-flags8"] = a => ~(uint)a[0]! & 0xFFu,
        ["invert-flags9"] = a => ~(uint)a[0]! & 0x1FFu,
        ["invert-flags32"] = a => ~(uint)a[0]!,
        ["split"] = a => new object?[] { (uint)((ulong)a[0]! >> 32), (uint)(ulong)a[0]! },
        ["sum16"] = a => a.Aggregate(0u, (sum, x) => unchecked(sum + (uint)x!)),
        ["many"] = Many,
    };

    private static Rune NextChar(Rune c) => c.Value switch
    {
        0x10FFFF => new Rune(0),
        0xD7FF => new Rune(0xE000),
        var v => new Rune(v + 1),
    };

    private static string ReverseString(string s)
    {
        var text = new StringBuilder(s.Length);
        foreach (var rune in s.EnumerateRunes().Reverse())
        {
            text.Append(rune.ToString());
        }

        return text.ToString();
    }

    private static object?[] SwapPoint(object? point) => [((object?[])point!)[1], ((object?[])point!)[0]];

    private static object? BumpMixed(object? value)
    {
        var m = (object?[])value!;
        return unchecked(new object?[]
        {
            (byte)((byte)m[0]! + 1),
            (ushort)((ushort)m[1]! + 1),
            (uint)m[2]! + 1,
            (ulong)m[3]! + 1,
            (float)m[4]! + 1.0f,
            (double)m[5]! + 1.0,
            !(bool)m[6]!,
            NextChar((Rune)m[7]!),
            ReverseString((string)m[8]!),
        });
    }

    private static Variant BumpShape(Variant shape) => unchecked(shape.Case switch
    {
        0 => shape,
        1 => new Variant(1, -(float)shape.Payload!),
        2 => new Variant(2, SwapPoint(shape.Payload)),
        3 => new Variant(3, ReverseString((string)shape.Payload!)),
        4 => new Variant(4, (ulong)shape.Payload! + 1),
        5 => new Variant(5, -(double)shape.Payload!),
        _ => new Variant(6, (sbyte)((sbyte)shape.Payload! + 1)),
    });

    private static object?[] Many(object?[] a)
    {
        // a u8, b s16, c u32, d s64, e f32, f f64, g bool, h char, s string, i u64, j s8, k u16, l s32, m f32, n f64, o u32, p u32
        var ints = unchecked((ulong)(byte)a[0]! + (ulong)(long)(short)a[1]! + (uint)a[2]! + (ulong)(long)a[3]!
            + ((bool)a[6]! ? 1UL : 0UL) + (ulong)((Rune)a[7]!).Value + (ulong)a[9]! + (ulong)(long)(sbyte)a[10]!
            + (ushort)a[11]! + (ulong)(long)(int)a[12]! + (uint)a[15]! + (uint)a[16]!);
        var floats = (double)(float)a[4]! + (double)a[5]! + (double)(float)a[13]! + (double)a[14]!;
        return [unchecked((long)ints), floats, a[8]];
    }

    private static string Describe(object?[] arguments) => string.Join(", ", arguments.Select(Describe));

    private static string Describe(object? value) => value switch
    {
        null => "null",
        byte[] bytes => bytes.Length > 64 ? $"bytes[{bytes.Length}]" : $"bytes[{Convert.ToHexString(bytes)}]",
        object?[] items => "[" + string.Join(", ", items.Select(Describe)) + "]",
        Variant v => $"case{v.Case}({Describe(v.Payload)})",
        string s => s.Length > 64 ? $"\"{s[..32]}...\"({s.Length} chars)" : $"\"{s}\"",
        Rune r => $"U+{r.Value:X4}",
        float f => $"{f:R}f(0x{BitConverter.SingleToUInt32Bits(f):x8})",
        double d => $"{d:R}(0x{BitConverter.DoubleToUInt64Bits(d):x16})",
        _ => $"{value}:{value.GetType().Name}",
    };
}
