using System.Runtime.CompilerServices;

namespace Spindle.Host.Tests;

/// <summary>Instance slots taken before a request is read (<see cref="GuestComponent.TryReserveInstance"/>). Issue #6</summary>
public sealed class GuestInstanceLeaseTests : IDisposable
{
    private static readonly HttpGuestRequest Get = new("GET", "/", [], []);
    private readonly HostFixture _fixture = new();

    [Fact]
    public async Task Reserve_past_the_cap_is_null_and_a_lease_disposed_unused_gives_its_slot_back()
    {
        using var engine = new WasmEngine(new HostOptions { MaxConcurrentInstances = 1 }, _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("stubs", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));

        var lease = component.TryReserveInstance();
        Assert.NotNull(lease);
        Assert.Null(component.TryReserveInstance());
        Assert.Null(component.TryHandleHttpAsync(Get));

        lease.Dispose();
        lease.Dispose(); // twice gives back one slot only
        using var again = component.TryReserveInstance();
        Assert.NotNull(again);
        Assert.Null(component.TryReserveInstance());
        Assert.Equal(200, (await component.HandleHttpAsync(Get, again)).Status);
    }

    [Fact]
    public async Task A_lease_runs_one_request_only_and_disposing_it_afterwards_frees_nothing()
    {
        using var engine = new WasmEngine(new HostOptions { MaxConcurrentInstances = 2 }, _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("stubs", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));

        using var held = component.TryReserveInstance()!;
        var lease = component.TryReserveInstance()!;
        Assert.Equal(200, (await component.HandleHttpAsync(Get, lease)).Status);
        Assert.Throws<InvalidOperationException>(() => { _ = component.HandleHttpAsync(Get, lease); });
        lease.Dispose();

        // One slot is held; the used lease's slot comes back once, as its run ends (just after the response is
        // handed over), and not again on Dispose.
        using var next = await ReserveWithinAsync(component, TimeSpan.FromSeconds(10));
        Assert.Null(component.TryReserveInstance());
    }

    [Fact]
    public void Lease_of_another_engine_is_refused_and_stays_unused()
    {
        using var one = new WasmEngine(new HostOptions { MaxConcurrentInstances = 1 }, _fixture.LoggerFactory);
        using var two = new WasmEngine(new HostOptions { MaxConcurrentInstances = 1 }, _fixture.LoggerFactory);
        var first = one.LoadCoreModule("stubs", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));
        var second = two.LoadCoreModule("stubs", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));

        using var lease = first.TryReserveInstance()!;
        Assert.Throws<ArgumentException>(() => { _ = second.HandleHttpAsync(Get, lease); });
        Assert.NotNull(second.TryReserveInstance());
        Assert.Null(first.TryReserveInstance());
    }

    // Issue #6: a guest thread kept its last work item, and with it the request and its body, until the next one came.
    [Fact]
    public async Task A_finished_invocation_is_not_kept_alive_by_its_guest_thread()
    {
        using var scheduler = new GuestScheduler(1);
        var (finished, payload) = Start(scheduler);
        Assert.Equal(1 << 20, await finished);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (payload.IsAlive && DateTime.UtcNow < deadline)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.False(payload.IsAlive, "the 1 MiB the finished work captured is still reachable");
    }

    // A client that sends its next request as soon as it has an answer must find the slot free: the slot is freed
    // before the result is handed back, never just after.
    [Fact]
    public async Task The_slot_is_free_by_the_time_the_result_arrives()
    {
        using var scheduler = new GuestScheduler(1);
        for (var i = 0; i < 5_000; i++)
        {
            var run = scheduler.TryRunAsync(() => i);
            Assert.NotNull(run);
            Assert.Equal(i, await run);
            using var next = scheduler.TryReserve();
            Assert.True(next is not null, $"after {i} runs the only slot was still taken when the result had arrived");
        }
    }

    public void Dispose() => _fixture.Dispose();

    private static async Task<GuestInstanceLease> ReserveWithinAsync(GuestComponent component, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (component.TryReserveInstance() is { } lease)
            {
                return lease;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no slot came free within {timeout.TotalSeconds} s");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    // Not inlined, so that no local of the test method holds the payload.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Task<int> Finished, WeakReference Payload) Start(GuestScheduler scheduler)
    {
        var body = new byte[1 << 20];
        return (scheduler.TryRunAsync(() => body.Length)!, new WeakReference(body));
    }
}
