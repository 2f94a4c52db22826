using System.Security.Cryptography;
using CsCheck;
using Wasmtime;

namespace Spindle.Components.Tests;

// Issue #8: load-time refusals, import type checks, version matching, stubs, guest resources and borrows, with tiny
// components written in the component text format (tests/wasm/components/*.wat, built with `jco parse` by
// scripts/build-guests.sh), and malformed binaries.
public sealed class ComponentLoadTests : IDisposable
{
    private static readonly FunctionType U32ToU32 = new([new Field("a", ValType.U32)], ValType.U32);

    private readonly Engine _engine = new();
    private readonly Store _store;

    public ComponentLoadTests() => _store = new Store(_engine);

    public void Dispose()
    {
        _store.Dispose();
        _engine.Dispose();
    }

    [Theory]
    [InlineData("stream-import", "the stream type", "import scratch:async/reader function read")]
    [InlineData("future-import", "the future type", "import scratch:async/waiter function wait")]
    [InlineData("error-context-import", "the error-context type", "import scratch:async/errors function last")]
    [InlineData("async-builtin", "waitable-set.new", "the component uses")]
    [InlineData("async-lift", "an async function type", "export run")]
    [InlineData("async-func-import", "an async function type", "import scratch:async/sleeper function sleep")]
    [InlineData("async-lower", "the async canon option", "import scratch:async/tick#tick")]
    public void A_component_outside_the_synchronous_mvp_is_refused_in_one_line_naming_the_feature_and_where(string file, string feature, string where)
    {
        var ex = Assert.Throws<ComponentLoadException>(() => Component.Load(_engine, Read(file), new HostDefinitions()));
        Assert.Contains(feature, ex.Message, StringComparison.Ordinal);
        Assert.Contains(where, ex.Message, StringComparison.Ordinal);
        Assert.Contains("synchronous", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void An_import_whose_function_type_differs_from_the_hosts_is_refused_naming_interface_function_and_both_types()
    {
        var math = new HostInterface("scratch:calc/math@1.0.0");
        math.DefineFunction("add", new FunctionType([new Field("a", ValType.U32), new Field("b", ValType.U32)], ValType.U32), (_, a) => (uint)a[0]! + (uint)a[1]!);
        var ex = Assert.Throws<ComponentLoadException>(() => Component.Load(_engine, Read("mismatched-import"), new HostDefinitions().Add(math)));
        Assert.Contains("scratch:calc/math@1.0.0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("function add", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the component expects func(a: u32, b: u64) -> u32", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the host defines func(a: u32, b: u32) -> u32", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scratch:x/y@0.2.12")]
    [InlineData("scratch:x/y@0.2.0")]
    [InlineData("scratch:x/y@0.2.3")]
    public void An_import_is_served_by_a_semver_compatible_host_version(string hostName)
    {
        using var component = Component.Load(_engine, Read("versioned-import"), new HostDefinitions().Add(AddsHundred(hostName)));
        Assert.Empty(component.StubbedImports);
        using var instance = component.Instantiate(_store);
        Assert.Equal(105u, instance.GetFunction("run")!.Invoke(5u));
    }

    [Fact]
    public void Host_functions_run_for_the_instance_that_called_them_in_stores_with_and_without_data_of_their_own()
    {
        // The host functions are defined once per component and find their instance through the store; a store that
        // already carries data gets functions of its own. Each instance's host function adds that instance's state.
        var host = new HostInterface("scratch:x/y@0.2.3");
        host.DefineFunction("f", U32ToU32, (instance, a) => (uint)a[0]! + (uint)instance.State!);
        using var component = Component.Load(_engine, Read("versioned-import"), new HostDefinitions().Add(host));
        using var second = new Store(_engine);
        using var withData = new Store(_engine, "the embedder's own data");
        using var a = component.Instantiate(_store, 100u);
        using var b = component.Instantiate(second, 200u);
        using var c = component.Instantiate(withData, 300u);
        for (var i = 0u; i < 3; i++)
        {
            Assert.Equal(100 + i, a.GetFunction("run")!.Invoke(i));
            Assert.Equal(300 + i, c.GetFunction("run")!.Invoke(i));
            Assert.Equal(200 + i, b.GetFunction("run")!.Invoke(i));
        }

        Assert.Equal("the embedder's own data", withData.GetData());
    }

    [Theory]
    [InlineData("scratch:x/y@0.3.0")]
    [InlineData("scratch:x/y@1.2.3")]
    [InlineData("scratch:x/y")]
    [InlineData("scratch:x/z@0.2.3")]
    [InlineData(null)]
    public void An_import_no_compatible_host_version_serves_is_stubbed_and_traps_only_when_called(string? hostName)
    {
        var host = new HostDefinitions();
        if (hostName is not null)
        {
            host.Add(AddsHundred(hostName));
        }

        using var component = Component.Load(_engine, Read("versioned-import"), host);
        Assert.Equal(["scratch:x/y@0.2.3#f"], component.StubbedImports);
        using var instance = component.Instantiate(_store);
        Assert.False(instance.Trapped);
        var ex = Assert.Throws<WasmtimeException>(() => instance.GetFunction("run")!.Invoke(5u));
        var trap = Assert.IsType<ComponentTrapException>(Inner(ex));
        Assert.Contains("scratch:x/y@0.2.3#f", trap.Message, StringComparison.Ordinal);
        Assert.True(instance.Trapped);
        Assert.Throws<InvalidOperationException>(() => instance.GetFunction("run")!.Invoke(5u));
    }

    [Fact]
    public void A_guest_resource_gets_handles_from_resource_new_its_rep_back_and_its_destructor_runs_on_drop()
    {
        using var component = Component.Load(_engine, Read("guest-resource"), new HostDefinitions());
        using var instance = component.Instantiate(_store);
        var make = instance.GetFunction("make")!;
        var rep = instance.GetFunction("rep")!;
        var drop = instance.GetFunction("drop")!;
        var destroyed = instance.GetFunction("destroyed")!;
        var destructions = instance.GetFunction("destructions")!;

        var seven = (uint)make.Invoke(7u)!;
        var nine = (uint)make.Invoke(9u)!;
        Assert.NotEqual(0u, seven);
        Assert.NotEqual(seven, nine);
        Assert.Equal(2, instance.HandleCount);
        Assert.Equal(7u, rep.Invoke(seven));
        Assert.Equal(9u, rep.Invoke(nine));
        Assert.Equal(0u, destructions.Invoke());

        drop.Invoke(seven);
        Assert.Equal(1u, destructions.Invoke());
        Assert.Equal(7u, destroyed.Invoke());
        Assert.Equal(1, instance.HandleCount);
        Assert.Equal(9u, rep.Invoke(nine));

        // The dropped handle is gone: using it traps the instance.
        var ex = Assert.Throws<WasmtimeException>(() => rep.Invoke(seven));
        Assert.Contains("not a live", Assert.IsType<ComponentTrapException>(Inner(ex)).Message, StringComparison.Ordinal);
        Assert.True(instance.Trapped);
    }

    [Fact]
    public void A_borrow_dropped_before_the_call_returns_is_fine_and_one_that_outlives_its_call_traps()
    {
        var dropped = 0;
        var types = new HostInterface("scratch:res/types");
        types.DefineResource("thing", _ => dropped++);
        using var component = Component.Load(_engine, Read("borrow"), new HostDefinitions().Add(types));
        Assert.Empty(component.StubbedImports);
        using var instance = component.Instantiate(_store);
        var thing = new object();

        instance.GetFunction("release")!.Invoke(thing);
        instance.GetFunction("release")!.Invoke(thing);
        Assert.Equal(0, instance.HandleCount);
        Assert.Equal(0, dropped); // dropping a borrow does not destroy the resource

        var ex = Assert.Throws<ComponentTrapException>(() => instance.GetFunction("keep")!.Invoke(thing));
        Assert.Contains("borrowed handle", ex.Message, StringComparison.Ordinal);
        Assert.True(instance.Trapped);
        Assert.Throws<InvalidOperationException>(() => instance.GetFunction("release")!.Invoke(thing));
    }

    [Fact]
    public void Every_truncation_of_a_component_is_refused_or_is_itself_a_component()
    {
        var bytes = Read("guest-resource");
        var refused = 0;
        for (var length = 0; length < bytes.Length; length++)
        {
            try
            {
                Component.Load(_engine, bytes.AsMemory(0, length), new HostDefinitions()).Dispose();
            }
            catch (ComponentLoadException)
            {
                refused++;
            }
        }

        // Only cuts at section boundaries can give a (smaller) component; cutting inside any section is refused.
        Assert.True(refused > bytes.Length * 9 / 10, $"{refused} of {bytes.Length} truncations refused");
        Assert.Throws<ComponentLoadException>(() => Component.Load(_engine, bytes.AsMemory(0, 7), new HostDefinitions()));
        Assert.Throws<ComponentLoadException>(() => Component.Load(_engine, bytes.AsMemory(0, bytes.Length - 1), new HostDefinitions()));
    }

    [Theory]
    [InlineData(new byte[] { 13, 0 }, "unknown section id 13")]
    [InlineData(new byte[] { 0x7f, 0 }, "unknown section id 127")]
    [InlineData(new byte[] { 7, 5, 0xff, 0xff, 0xff, 0xff, 0x0f }, "end of the binary")] // 2^32-1 types, none there
    [InlineData(new byte[] { 7, 0xff, 0xff, 0xff, 0xff, 0x0f }, "runs past the end")] // a section of 4 GiB
    [InlineData(new byte[] { 1, 0xff, 0xff, 0xff, 0xff, 0x0f }, "runs past the end")] // a core module of 4 GiB (-1 as an int)
    [InlineData(new byte[] { 0, 0xfa, 0xff, 0xff, 0xff, 0x0f }, "runs past the end")] // a custom section of 2^32-6 bytes (-6: back to its own start)
    [InlineData(new byte[] { 2, 7, 1, 0, 0, 0xff, 0xff, 0xff, 0x07 }, "vector length")] // an instantiate with 2^24 arguments
    [InlineData(new byte[] { 10, 7, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x07 }, "name runs past")] // an import name of 2 GiB
    [InlineData(new byte[] { 10, 7, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f }, "name runs past")] // an import name of 4 GiB (-1 as an int)
    [InlineData(new byte[] { 7, 6, 1, 0x72, 0xff, 0xff, 0xff, 0x7f }, "vector length")] // a record of 2^28 fields
    [InlineData(new byte[] { 7, 7, 1, 0x40, 0x80, 0x80, 0x80, 0x80, 0x80 }, "longer than 5 bytes")]
    [InlineData(new byte[] { 8, 2, 1, 0x7e }, "unknown canon opcode")]
    [InlineData(new byte[] { 7, 1, 1, 0x73 }, "1 bytes past the section's size")] // the one type lies outside its section
    public void A_malformed_binary_is_refused_with_a_component_load_exception(byte[] section, string message)
    {
        byte[] bytes = [.. Preamble, .. section];
        var ex = Assert.Throws<ComponentLoadException>(() => Component.Load(_engine, bytes, new HostDefinitions()));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Components_nested_too_deeply_are_refused_rather_than_overflowing_the_stack()
    {
        // 100,000 components, each the only section of the one around it (about 1.3 MB).
        const int Depth = 100_000;
        var lengths = new long[Depth + 1];
        lengths[0] = 8;
        for (var k = 1; k <= Depth; k++)
        {
            lengths[k] = 8 + 1 + Leb(lengths[k - 1]).Length + lengths[k - 1];
        }

        var nested = new List<byte>((int)lengths[Depth]);
        for (var k = Depth; k >= 1; k--)
        {
            nested.AddRange(Preamble);
            nested.Add(4);
            nested.AddRange(Leb(lengths[k - 1]));
        }

        nested.AddRange(Preamble);
        var ex = Assert.Throws<ComponentLoadException>(() => Component.Load(_engine, nested.ToArray(), new HostDefinitions()));
        Assert.Contains("nested", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Types_nested_too_deeply_are_refused_rather_than_overflowing_the_stack()
    {
        // One component type declaring a component type declaring ... 300,000 deep (about 900 KB).
        const int Depth = 300_000;
        var content = new List<byte>(Depth * 3 + 3) { 1 };
        for (var k = 0; k < Depth; k++)
        {
            content.AddRange([0x41, 0x01, 0x01]);
        }

        content.AddRange([0x41, 0x00]);
        byte[] bytes = [.. Preamble, 7, .. Leb(content.Count), .. content];
        var ex = Assert.Throws<ComponentLoadException>(() => Component.Load(_engine, bytes, new HostDefinitions()));
        Assert.Contains("nested", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("guest-resource", 3000)]
    [InlineData("borrow", 1500)]
    [InlineData("versioned-import", 1500)]
    [InlineData("../values", 500)]
    public void A_mutated_component_loads_or_is_refused_with_a_component_load_exception_and_nothing_else(string file, int iterations)
    {
        // Fuel bounds a start function a mutation might have turned into a loop. GC, typed function references and
        // exceptions are off as in Spindle's host (WasmEngine): Wasmtime's .NET binding aborts the process on a module
        // whose imports or exports use their reference types, which a mutation easily makes.
        using var config = new Config().WithFuelConsumption(true).WithGc(false).WithFunctionReferences(false).WithExceptions(false);
        using var engine = new Engine(config);
        var original = file == "../values" ? File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "wasm", "values.wasm")) : Read(file);
        var host = new HostDefinitions().Add(AddsHundred("scratch:x/y@0.2.3"));
        var types = new HostInterface("scratch:res/types");
        types.DefineResource("thing");
        host.Add(types);
        var mutation = Gen.Frequency(
            (1, Gen.Int[0, original.Length - 1].Select(at => (Kind: 0, At: at, Value: 0u))), // truncate
            (4, Gen.Select(Gen.Int[0, original.Length - 1], Gen.Byte[1, 255], (at, mask) => (Kind: 1, At: at, Value: (uint)mask))), // flip bits
            (2, Gen.Select(Gen.Int[0, original.Length - 1], Gen.OneOf<byte>(0x00, 0x7f, 0x80, 0xff, 0x40, 0x01), (at, value) => (Kind: 2, At: at, Value: (uint)value))), // set a byte
            (2, Gen.Select(Gen.Int[0, original.Length - 1], Gen.Frequency((1, Gen.UInt), (1, Gen.OneOf(uint.MaxValue, 0x8000_0000u, 0x7fff_ffffu, uint.MaxValue - 7))), (at, value) => (Kind: 3, At: at, Value: value)))); // a byte (a size, count or index) becomes a 5-byte LEB128
        using var cache = new ModuleCache(engine);
        var outcomes = new int[4];
        mutation.Array[1, 3].Sample(mutations =>
        {
            var bytes = original.ToArray();
            foreach (var (kind, at, value) in mutations)
            {
                if (at >= bytes.Length)
                {
                    continue;
                }

                switch (kind)
                {
                    case 0: bytes = bytes[..at]; break;
                    case 1: bytes[at] ^= (byte)value; break;
                    case 2: bytes[at] = (byte)value; break;
                    default: bytes = [.. bytes[..at], .. Leb5(value), .. bytes[(at + 1)..]]; break;
                }
            }

            cache.CoreModuleRefused = false;
            Component component;
            try
            {
                component = Component.Load(engine, bytes, host, cache.Compile);
                outcomes[0]++;
            }
            catch (ComponentLoadException)
            {
                outcomes[1]++;
                return;
            }
            catch (WasmtimeException) when (cache.CoreModuleRefused)
            {
                // Documented: a core module that does not compile is Wasmtime's to refuse (its validator's message).
                outcomes[2]++;
                return;
            }

            // What loads instantiates, or Wasmtime refuses to link or start its core instances (documented).
            using (component)
            using (var store = new Store(engine) { Fuel = 10_000_000 })
            {
                try
                {
                    component.Instantiate(store).Dispose();
                }
                catch (WasmtimeException)
                {
                    outcomes[3]++;
                }
            }
        }, iter: iterations, threads: 1, print: m => string.Join(", ", m.Select(x => $"{(x.Kind switch { 0 => "cut", 1 => "xor", 2 => "set", _ => "leb" })} {x.At} {x.Value:x}")));
        Assert.True(outcomes[1] > 0, $"loaded {outcomes[0]} (of which {outcomes[3]} failed to instantiate), refused {outcomes[1]}, core module refused {outcomes[2]}");
    }

    private static readonly byte[] Preamble = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    private static byte[] Leb(long value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }

    private static byte[] Leb5(uint value) =>
        [(byte)(value | 0x80), (byte)((value >> 7) | 0x80), (byte)((value >> 14) | 0x80), (byte)((value >> 21) | 0x80), (byte)(value >> 28)];

    private static Exception? Inner(Exception ex)
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
        {
            if (e is ComponentTrapException)
            {
                return e;
            }
        }

        return ex.InnerException;
    }

    private static HostInterface AddsHundred(string name)
    {
        var y = new HostInterface(name);
        y.DefineFunction("f", U32ToU32, (_, a) => (uint)a[0]! + 100);
        return y;
    }

    private static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "wasm", "components", name + ".wasm"));

    /// <summary>Compiles each distinct core module once (mutations mostly leave them alone), and says whether Wasmtime refused one.</summary>
    private sealed class ModuleCache(Engine engine) : IDisposable
    {
        private readonly Dictionary<string, Module> _modules = new(StringComparer.Ordinal);

        public bool CoreModuleRefused { get; set; }

        public Module Compile(int ordinal, ReadOnlyMemory<byte> bytes)
        {
            var key = Convert.ToHexString(SHA256.HashData(bytes.Span));
            if (!_modules.TryGetValue(key, out var module))
            {
                try
                {
                    module = Module.FromBytes(engine, $"core module {ordinal}", bytes.Span);
                }
                catch (WasmtimeException)
                {
                    CoreModuleRefused = true;
                    throw;
                }

                _modules[key] = module;
            }

            return module;
        }

        public void Dispose()
        {
            foreach (var module in _modules.Values)
            {
                module.Dispose();
            }
        }
    }
}
