using Spindle.Components;
using Spindle.Host.Components;

namespace Spindle.Host.Tests;

// Issue #9: wasi:config/store serves a component its variables (the values LoadComponent was given), through a
// component that passes its calls straight through (tests/wasm/components/config-store.wat).
public sealed class VariablesInterfacesTests : IDisposable
{
    private readonly HostFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void Wasi_config_get_answers_the_component_variable_or_none_and_get_all_lists_every_one_in_name_order()
    {
        using var engine = new WasmEngine(loggerFactory: _fixture.LoggerFactory);
        var variables = new Dictionary<string, string> { ["zeta"] = "last", ["api_url"] = "https://api.example.com", ["empty"] = "" };
        var guest = (ComponentGuest)engine.LoadComponent("config", Path.Combine(AppContext.BaseDirectory, "wasm", "config-store.wasm"), _fixture.Stores.ForComponent([]), variables: variables);

        Assert.Equal(Variant.Ok(Variant.Some("https://api.example.com")), guest.Invoke(i => i.GetFunction("get")!.Invoke("api_url")));
        Assert.Equal(Variant.Ok(Variant.Some("")), guest.Invoke(i => i.GetFunction("get")!.Invoke("empty")));
        Assert.Equal(Variant.Ok(Variant.None), guest.Invoke(i => i.GetFunction("get")!.Invoke("missing")));
        Assert.Equal(Variant.Ok(Variant.None), guest.Invoke(i => i.GetFunction("get")!.Invoke("Not A Name")));

        var all = (Variant)guest.Invoke(i => i.GetFunction("get-all")!.Invoke())!;
        Assert.Equal(0, all.Case);
        var pairs = ((object?[])all.Payload!).Cast<object?[]>().Select(p => ((string)p[0]!, (string)p[1]!)).ToList();
        Assert.Equal([("api_url", "https://api.example.com"), ("empty", ""), ("zeta", "last")], pairs);
    }

    [Fact]
    public void A_component_loaded_without_variables_has_none()
    {
        using var engine = new WasmEngine(loggerFactory: _fixture.LoggerFactory);
        var guest = (ComponentGuest)engine.LoadComponent("config", Path.Combine(AppContext.BaseDirectory, "wasm", "config-store.wasm"), _fixture.Stores.ForComponent([]));
        Assert.Equal(Variant.Ok(Variant.None), guest.Invoke(i => i.GetFunction("get")!.Invoke("api_url")));
        Assert.Equal(Variant.Ok(Array.Empty<object?>()), guest.Invoke(i => i.GetFunction("get-all")!.Invoke()), new PayloadComparer());
    }

    private sealed class PayloadComparer : IEqualityComparer<object?>
    {
        public new bool Equals(object? x, object? y) =>
            x is Variant a && y is Variant b && a.Case == b.Case && a.Payload is object?[] p && b.Payload is object?[] q && p.SequenceEqual(q);

        public int GetHashCode(object? obj) => 0;
    }
}
