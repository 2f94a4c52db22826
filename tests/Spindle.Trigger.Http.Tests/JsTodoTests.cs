using System.Net;
using System.Text;
using System.Text.Json;

namespace Spindle.Trigger.Http.Tests;

public sealed class JsTodoServer : JsGuestServer
{
    protected override string Guest => "js-todo";
}

// Issue #9: examples/js-todo (a wasi:http app built with j2w over sdk/js) served by Spindle, its todos in the
// default SQLite store.
public sealed class JsTodoTests(JsTodoServer fixture) : IClassFixture<JsTodoServer>
{
    private readonly ProbeServer _server = fixture.Server;

    [Fact]
    public async Task Todos_are_added_listed_toggled_and_deleted()
    {
        using var add = await _server.Client.PostAsync(new Uri(_server.BaseUrl, "/api/todos"), new StringContent("{\"title\":\"milk\"}", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        var id = JsonDocument.Parse(await add.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("id").GetInt64();

        var (_, list) = await _server.GetAsync("/api/todos");
        Assert.Contains("\"title\":\"milk\"", list, StringComparison.Ordinal);
        var (toggled, todo) = await _server.SendAsync(HttpMethod.Post, $"/api/todos/{id}/toggle");
        Assert.Equal(HttpStatusCode.OK, toggled);
        Assert.Contains("\"done\":true", todo, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.OK, $"{{\"deleted\":{id}}}"), await _server.SendAsync(HttpMethod.Delete, $"/api/todos/{id}"));
        Assert.Equal(HttpStatusCode.NotFound, (await _server.GetAsync($"/api/todos/{id}")).Status);

        // The app's data is in the store Spindle gave it: the id counter is a decimal counter.
        Assert.NotNull(_server.Database.Open("default").Get("meta:next-id"));
    }

    [Fact]
    public async Task The_page_is_served_by_the_component()
    {
        using var page = await _server.Client.GetAsync(_server.BaseUrl, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("text/html", page.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_body_is_400()
    {
        using var add = await _server.Client.PostAsync(new Uri(_server.BaseUrl, "/api/todos"), new StringContent("not json", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, add.StatusCode);
    }
}
