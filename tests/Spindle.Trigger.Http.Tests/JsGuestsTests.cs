using System.Text;
using Spindle.Testing;

namespace Spindle.Trigger.Http.Tests;

// Issue #8: the JavaScript test guests are built by scripts/build-js-guests.sh (cached), found through JsGuests.
public sealed class JsGuestsTests
{
    // A component binary starts with "\0asm", version 0x0d and layer 1 (a core module has version 1, layer 0).
    private static readonly byte[] ComponentPreamble = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    [Theory]
    [InlineData("js-kv", "fermyon:spin/inbound-http")]
    [InlineData("j2w-hello", "wasi:http/incoming-handler@0.2.3")]
    [InlineData("js-todo", "wasi:http/incoming-handler@0.2.3")] // Issue #9: examples/js-todo, built like j2w-hello
    [InlineData("js-sdk", "wasi:keyvalue/atomics@0.2.0-draft2")] // Issue #9: tests/guests/js-sdk
    public void Path_returns_the_built_component_exporting_its_handler(string name, string export)
    {
        var path = JsGuests.Path(name);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(ComponentPreamble, bytes[..8]);
        Assert.Contains(export, Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
        Assert.Same(path, JsGuests.Path(name));
    }

    [Fact]
    public void Path_of_an_unknown_guest_fails_naming_the_command_to_run()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => JsGuests.Path("no-such-guest"));

        Assert.Contains("scripts/build-js-guests.sh no-such-guest", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no JavaScript guest named 'no-such-guest'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Path_fails_when_the_variable_names_a_missing_file()
    {
        const string Name = "missing-file-guest";
        Environment.SetEnvironmentVariable(JsGuests.EnvironmentVariable(Name), "/nonexistent/guest.wasm");

        var ex = Assert.Throws<InvalidOperationException>(() => JsGuests.Path(Name));

        Assert.Equal("SPINDLE_GUEST_MISSING_FILE_GUEST", JsGuests.EnvironmentVariable(Name));
        Assert.Contains("SPINDLE_GUEST_MISSING_FILE_GUEST names /nonexistent/guest.wasm, which does not exist", ex.Message, StringComparison.Ordinal);
    }
}
