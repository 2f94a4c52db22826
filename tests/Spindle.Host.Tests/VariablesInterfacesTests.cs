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

    // Spin 1.x core modules read the same variables through spin-config.get-config (tests/wasm/spin-config.wat answers
    // the variable named by its path, or 400 + the error case with the message).
    [Fact]
    public async Task A_core_module_reads_its_variables_through_spin_config()
    {
        using var engine = new WasmEngine(loggerFactory: _fixture.LoggerFactory);
        var variables = new Dictionary<string, string> { ["api_url"] = "https://api.example.com", ["empty"] = "" };
        var guest = engine.LoadComponent("legacy", _fixture.Wasm("spin-config"), _fixture.Stores.ForComponent([]), variables: variables);

        async Task<(int Status, string Body)> Get(string path)
        {
            var response = await guest.TryHandleHttpAsync(new HttpGuestRequest("GET", path, [], []))!;
            return (response.Status, System.Text.Encoding.UTF8.GetString(response.Body ?? []));
        }

        Assert.Equal((200, "https://api.example.com"), await Get("/api_url"));
        Assert.Equal((200, ""), await Get("/empty"));
        var (status, body) = await Get("/missing");
        Assert.Equal(403, status);
        Assert.Contains("no variable 'missing'", body, StringComparison.Ordinal);
        (status, body) = await Get("/Not-A-Name");
        Assert.Equal(401, status);
        Assert.Contains("not a variable name", body, StringComparison.Ordinal);
    }

    private sealed class PayloadComparer : IEqualityComparer<object?>
    {
        public new bool Equals(object? x, object? y) =>
            x is Variant a && y is Variant b && a.Case == b.Case && a.Payload is object?[] p && b.Payload is object?[] q && p.SequenceEqual(q);

        public int GetHashCode(object? obj) => 0;
    }
}
