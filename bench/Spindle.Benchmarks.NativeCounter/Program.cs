// The native side of bench/http: the kv-counter guest's counter logic written straight in ASP.NET Core, on the same
// kind of store `spindle up` gives the guest (a StoreRegistry whose "default" label is sqlite_key_value.db in the state
// dir). Whatever `spindle up` costs on top of this is the price of running the logic as WebAssembly.
//
//   GET  /  -> "count: N\n"
//   POST /  -> get "count", parse ASCII decimal, +1, set, "count: N\n"   (one get and one set, like the guest)
//   PUT  /k -> exists "k", set "k" to the body, 201 "created" or 200 "updated"   (like the guest's PUT of a key)
//
// Usage: Spindle.Benchmarks.NativeCounter --listen 127.0.0.1:PORT --state-dir DIR
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Spindle.Core;
using Spindle.Sqlite;

const string CountKey = "count";

string? listenText = null;
string? stateDir = null;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--listen" when value is not null:
            listenText = value;
            i++;
            break;
        case "--state-dir" when value is not null:
            stateDir = value;
            i++;
            break;
        default:
            return Usage($"unexpected argument '{args[i]}'");
    }
}

if (listenText is null || !IPEndPoint.TryParse(listenText, out var listen) || listen.Port == 0)
{
    return Usage("--listen IP:PORT is required, for example 127.0.0.1:3001");
}

if (string.IsNullOrEmpty(stateDir))
{
    return Usage("--state-dir DIR is required");
}

using var registry = new StoreRegistry();
registry.Add("default", SqliteDatabase.OpenFile(Path.Combine(stateDir, "sqlite_key_value.db")));
var store = registry.Open("default");

// Configured like Spindle's HTTP trigger: slim host, no logging providers, no Server header, one terminal handler.
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(listen);
});
var app = builder.Build();
app.Run(context =>
{
    var request = context.Request;
    var response = context.Response;
    if (HttpMethods.IsPut(request.Method) && request.Path.Value is { Length: > 1 } path)
    {
        return PutAsync(store, Uri.UnescapeDataString(path[1..]), request, response);
    }

    if (request.Path != "/")
    {
        response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    var isPost = HttpMethods.IsPost(request.Method);
    if (!isPost && !HttpMethods.IsGet(request.Method))
    {
        response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        response.Headers.Allow = "GET, POST";
        return Task.CompletedTask;
    }

    if (!TryParseCount(store.Get(CountKey), out var count))
    {
        return Reply(response, StatusCodes.Status500InternalServerError, "error: the value of key \"count\" is not a decimal number\n");
    }

    if (isPost)
    {
        // Not atomic, as in the guest: two concurrent POSTs may both read N and both write N + 1.
        count++;
        store.Set(CountKey, Encoding.ASCII.GetBytes(count.ToString(CultureInfo.InvariantCulture)));
    }

    return Reply(response, StatusCodes.Status200OK, string.Create(CultureInfo.InvariantCulture, $"count: {count}\n"));
});

Console.WriteLine($"Serving http://{listen}");
await app.RunAsync().ConfigureAwait(false);
return 0;

static async Task PutAsync(IKeyValueStore store, string key, HttpRequest request, HttpResponse response)
{
    // The body, read into one array as the trigger does for a guest.
    using var buffer = new MemoryStream();
    await request.Body.CopyToAsync(buffer).ConfigureAwait(false);
    var existed = store.Exists(key);
    store.Set(key, buffer.ToArray());
    await Reply(response, existed ? StatusCodes.Status200OK : StatusCodes.Status201Created, existed ? "updated\n" : "created\n").ConfigureAwait(false);
}

static bool TryParseCount(byte[]? value, out ulong count)
{
    count = 0;
    return value is null || ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count);
}

static Task Reply(HttpResponse response, int status, string text)
{
    var body = Encoding.UTF8.GetBytes(text);
    response.StatusCode = status;
    response.ContentType = "text/plain; charset=utf-8";
    response.ContentLength = body.Length;
    return response.Body.WriteAsync(body).AsTask();
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"error: {problem}");
    Console.Error.WriteLine("usage: Spindle.Benchmarks.NativeCounter --listen 127.0.0.1:PORT --state-dir DIR");
    return 2;
}
