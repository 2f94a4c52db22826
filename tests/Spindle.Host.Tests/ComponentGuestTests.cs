using Spindle.Host.Components;

namespace Spindle.Host.Tests;

// Issue #8: components through the host's guest seam, without HTTP.
public sealed class ComponentGuestTests : IDisposable
{
    private readonly HostFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Stores_a_guest_leaves_open_or_drops_are_all_released_over_ten_thousand_requests()
    {
        // Twice the batch: a slot is freed just after its result is handed over, so the next batch may start before
        // the last one's slots are back.
        using var engine = new WasmEngine(new HostOptions { MaxConcurrentInstances = 8 }, _fixture.LoggerFactory);
        var guest = (ComponentGuest)engine.LoadComponent("probe", Path.Combine(AppContext.BaseDirectory, "wasm", "kv2-probe.wasm"), _fixture.Stores.ForComponent(["default"]));
        Assert.True(guest.ExportsHttpHandler);
        for (var batch = 0; batch < 2_500; batch++)
        {
            // Each batch: stores left open (the host drops them when the instance ends) and stores the guest drops.
            var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
                guest.TryHandleHttpAsync(new HttpGuestRequest("GET", i % 2 == 0 ? "/open?label=default" : "/open-drop-many?label=default&count=3", [], []))
                ?? throw new InvalidOperationException("no instance slot")));
            Assert.All(responses, r => Assert.Equal(200, r.Status));
        }

        Assert.Equal(0, guest.OpenStores.Open);
    }

    [Fact]
    public void A_component_is_told_from_a_core_module_by_its_header()
    {
        using var engine = new WasmEngine(loggerFactory: _fixture.LoggerFactory);
        Assert.IsType<ComponentGuest>(engine.LoadComponent("c", Path.Combine(AppContext.BaseDirectory, "wasm", "kv2-probe.wasm"), _fixture.Stores.ForComponent([])));
        Assert.IsType<CoreModuleGuest>(engine.LoadComponent("m", _fixture.Wasm("answer-1"), _fixture.Stores.ForComponent([])));
    }
}
