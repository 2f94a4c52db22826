using System.Net;
using System.Text;

namespace Spindle.Trigger.Http.Tests;

public sealed class JsSdkServer : JsGuestServer
{
    protected override string Guest => "js-sdk";

    protected override IReadOnlyDictionary<string, string>? Variables => new Dictionary<string, string> { ["api_url"] = "https://api.example.com" };
}

// Issue #9: @spindle/kv's `variable` (sdk/js) under Spindle: the js-sdk test guest (tests/guests/js-sdk) reads the
// component's variables through fermyon:spin/variables@2.0.0. (Every other SDK function is checked in node:
// tests/guests/js-sdk/sdk.test.mjs.)
public sealed class JsSdkTests(JsSdkServer fixture) : IClassFixture<JsSdkServer>
{
    private readonly ProbeServer _server = fixture.Server;

    [Fact]
    public async Task Variable_answers_the_component_variable_undefined_for_a_missing_one_and_an_error_for_a_bad_name()
    {
        using var content = new StringContent("""{"ops": [["variable", "api_url"], ["variable", "missing"], ["variable", "Bad-Name"]]}""", Encoding.UTF8, "application/json");
        using var response = await _server.Client.PostAsync(new Uri(_server.BaseUrl, "/sdk"), content, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.StartsWith("""[{"ok":"https://api.example.com"},{"ok":{"$undefined":true}},{"error":{"name":"VariableError","case":"invalid-name",""", body, StringComparison.Ordinal);
        Assert.Contains("\"variable\":\"Bad-Name\"", body, StringComparison.Ordinal);
    }
}
