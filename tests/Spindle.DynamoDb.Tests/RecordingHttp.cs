using System.Collections.Concurrent;
using System.Text.Json;
using Amazon.Runtime;

namespace Spindle.DynamoDb.Tests;

/// <summary>
/// An HTTP client factory for the SDK that keeps every request it sends: the operation (from
/// <c>X-Amz-Target</c>) and the JSON body, so tests can see what went over the wire.
/// </summary>
internal sealed class RecordingHttp : HttpClientFactory
{
    public ConcurrentQueue<(string Operation, JsonElement Body)> Requests { get; } = new();

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Recorder(this));

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    /// <summary>The bodies of the requests of one operation, for example <c>BatchWriteItem</c>.</summary>
    public List<JsonElement> Of(string operation) => [.. Requests.Where(r => r.Operation == operation).Select(r => r.Body)];

    public void Clear() => Requests.Clear();

    private sealed class Recorder(RecordingHttp owner) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.First() : "?";
            var operation = target[(target.IndexOf('.', StringComparison.Ordinal) + 1)..];
            if (request.Content is not null)
            {
                await request.Content.LoadIntoBufferAsync(cancellationToken);
                var body = await request.Content.ReadAsStringAsync(cancellationToken);
                owner.Requests.Enqueue((operation, JsonDocument.Parse(body).RootElement.Clone()));
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
