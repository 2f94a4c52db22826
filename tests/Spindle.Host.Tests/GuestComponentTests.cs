using System.Text;
using Microsoft.Extensions.Logging;
using Wasmtime;

namespace Spindle.Host.Tests;

public sealed class GuestComponentTests : IDisposable
{
    private static readonly HttpGuestRequest Get = new("GET", "/", [], []);
    private readonly HostFixture _fixture = new();

    [Fact]
    public async Task Module_with_imports_Spindle_does_not_provide_loads_and_serves()
    {
        using var engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("stubs", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));

        var response = await component.TryHandleHttpAsync(Get)!;

        Assert.Equal(200, response.Status);
        Assert.Equal("hi", Encoding.UTF8.GetString(response.Body!));
        Assert.Empty(response.Headers);
    }

    [Fact]
    public async Task Calling_an_unprovided_import_traps_that_request_only()
    {
        using var engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("stubs", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));

        var ex = await Assert.ThrowsAsync<GuestInvocationException>(() => component.TryHandleHttpAsync(Get with { Uri = "/publish" })!);
        Assert.Equal(GuestFailure.Trap, ex.Failure);
        Assert.Equal("stubs", ex.ComponentId);
        Assert.Equal(200, (await component.TryHandleHttpAsync(Get)!).Status);
    }

    [Fact]
    public async Task Guest_stdout_and_stderr_reach_the_log_prefixed_with_the_component_id()
    {
        using var engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("stubs", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));

        await component.TryHandleHttpAsync(Get)!;

        Assert.Contains(_fixture.Lines, l => l.Level == LogLevel.Information && l.Message == "[stubs] hello from guest");
        Assert.Contains(_fixture.Lines, l => l.Level == LogLevel.Warning && l.Message == "[stubs] warning from guest");
    }

    [Fact]
    public void Initialize_runs_before_the_guest_is_used()
    {
        using var engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("stubs", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));

        var initialized = component.Invoke(instance => instance.Instance.GetGlobal("initialized")!.GetValue());

        Assert.Equal(1, initialized);
    }

    [Fact]
    public async Task Missing_http_export_is_reported()
    {
        using var engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("bare", _fixture.Wasm("no-http-export"), _fixture.Stores.ForComponent([]));

        Assert.False(component.ExportsHttpHandler);
        var ex = await Assert.ThrowsAsync<GuestInvocationException>(() => component.TryHandleHttpAsync(Get)!);
        Assert.Equal(GuestFailure.MissingExport, ex.Failure);
    }

    [Fact]
    public async Task Invalid_option_discriminant_in_the_response_is_an_abi_violation()
    {
        using var engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("bad", _fixture.Wasm("bad-response"), _fixture.Stores.ForComponent([]));

        var ex = await Assert.ThrowsAsync<GuestInvocationException>(() => component.TryHandleHttpAsync(Get)!);
        Assert.Equal(GuestFailure.AbiViolation, ex.Failure);
        Assert.Contains("discriminant 7", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Method_outside_the_v1_enum_is_a_caller_error()
    {
        using var engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        var component = engine.LoadCoreModule("stubs", _fixture.Wasm("stubbed-imports"), _fixture.Stores.ForComponent([]));
        Assert.Throws<ArgumentException>(() => { _ = component.TryHandleHttpAsync(Get with { Method = "TRACE" }); });
    }

    [Fact]
    public void Invalid_module_fails_to_load()
    {
        var path = Path.Combine(_fixture.Folder, "garbage.wasm");
        File.WriteAllBytes(path, [0, 1, 2, 3]);
        using var engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        Assert.ThrowsAny<WasmtimeException>(() => engine.LoadCoreModule("garbage", path, _fixture.Stores.ForComponent([])));
    }

    // Issue #8 (found by the component load fuzz): Wasmtime's .NET binding aborts the process when it lists the imports
    // or exports of a module whose signatures use a reference type other than funcref and externref, so the engine
    // refuses those proposals (GC, typed function references, exception handling) at validation instead.
    [Theory]
    [InlineData(0x6a)] // arrayref (GC)
    [InlineData(0x69)] // exnref (exception handling)
    [InlineData(0x6e)] // anyref (GC)
    public void Module_whose_export_uses_a_gc_or_exception_reference_type_is_refused_without_ending_the_process(byte referenceType)
    {
        var path = Path.Combine(_fixture.Folder, "references.wasm");
        File.WriteAllBytes(path, [
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x05, 0x01, 0x60, 0x01, referenceType, 0x00, // type 0: func (param <reference type>)
            0x03, 0x02, 0x01, 0x00, // func 0: type 0
            0x07, 0x05, 0x01, 0x01, (byte)'f', 0x00, 0x00, // export "f" = func 0
            0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // its body: no locals, end
        ]);
        using var engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        var ex = Assert.ThrowsAny<WasmtimeException>(() => engine.LoadCoreModule("references", path, _fixture.Stores.ForComponent([])));
        Assert.Contains("not supported", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _fixture.Dispose();
}
