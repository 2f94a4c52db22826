using Spindle.Components;

namespace Spindle.Host.Components;

/// <summary><c>fermyon:spin/inbound-http</c> <c>handle-request</c>: Spin 1.x's request and response records for components.</summary>
internal static class InboundHttp
{
    public const string Interface = "fermyon:spin/inbound-http";
    public const string Function = "handle-request";

    private static readonly ValType Pairs = ValType.List(ValType.Tuple(ValType.String, ValType.String));

    /// <summary>The type the export must have.</summary>
    public static FunctionType Type { get; } = new(
        [
            new Field("req", ValType.Record(
                ("method", ValType.Enum("get", "post", "put", "delete", "patch", "head", "options")),
                ("uri", ValType.String),
                ("headers", Pairs),
                ("params", Pairs),
                ("body", ValType.Option(ValType.Bytes)))),
        ],
        ValType.Record(("status", ValType.U16), ("headers", ValType.Option(Pairs)), ("body", ValType.Option(ValType.Bytes))));

    public static object?[] Lower(HttpGuestRequest request, int method)
    {
        var headers = new object?[request.Headers.Count];
        for (var i = 0; i < headers.Length; i++)
        {
            headers[i] = new object?[] { request.Headers[i].Key, request.Headers[i].Value };
        }

        // As for core modules, params are always empty and the body is always present.
        return [new object?[] { method, request.Uri, headers, Array.Empty<object?>(), Variant.Some(request.Body) }];
    }

    public static HttpGuestResponse Lift(object? result)
    {
        var record = (object?[])result!;
        var headers = new List<KeyValuePair<string, string>>();
        if (record[1] is Variant { Case: 1, Payload: object?[] pairs })
        {
            foreach (var pair in pairs.Cast<object?[]>())
            {
                headers.Add(new((string)pair[0]!, (string)pair[1]!));
            }
        }

        var body = record[2] is Variant { Case: 1, Payload: byte[] bytes } ? bytes : null;
        return new HttpGuestResponse((ushort)record[0]!, headers, body);
    }
}
