using System.Text;

namespace Spindle.Components.Wasi;

/// <summary>
/// <c>wasi:http/types</c> and <c>wasi:http/outgoing-handler</c>, every 0.2.x version, over <see cref="WasiPreview2"/>'s
/// streams and pollables. The embedder serves <c>wasi:http/incoming-handler</c> by lowering an
/// <see cref="IncomingHttpRequest"/> and a <see cref="ResponseOutparam"/> as the two <c>own</c> handles of
/// <c>handle</c>. An outgoing request is sent only when the instance's <see cref="WasiContext.OutgoingHttp"/> allows
/// its origin; any other gets <c>HTTP-request-denied</c> before a connection is made.
/// </summary>
public sealed class WasiHttp
{
    private const string Version = "0.2.12";

    private static readonly string[] MethodCases = ["get", "head", "post", "put", "delete", "connect", "options", "trace", "patch"];

    private readonly WasiPreview2 _wasi;

    /// <summary>Builds the definitions over <paramref name="wasi"/>'s resource types.</summary>
    public WasiHttp(WasiPreview2 wasi)
    {
        ArgumentNullException.ThrowIfNull(wasi);
        _wasi = wasi;
        Types = new HostInterface($"wasi:http/types@{Version}");
        Types.AddResource("input-stream", wasi.InputStream);
        Types.AddResource("output-stream", wasi.OutputStream);
        Types.AddResource("pollable", wasi.Pollable);
        Types.AddResource("io-error", wasi.Error);
        Types.AddResource("error", wasi.Error);
        Fields = Types.DefineResource("fields");
        IncomingRequest = Types.DefineResource("incoming-request");
        ResponseOutparamType = Types.DefineResource("response-outparam");
        OutgoingResponse = Types.DefineResource("outgoing-response");
        OutgoingBody = Types.DefineResource("outgoing-body", o => ((OutgoingBody)o).Abort("the guest dropped the body without finishing it"));
        IncomingBody = Types.DefineResource("incoming-body");
        FutureTrailers = Types.DefineResource("future-trailers");
        OutgoingRequest = Types.DefineResource("outgoing-request");
        RequestOptions = Types.DefineResource("request-options");
        IncomingResponse = Types.DefineResource("incoming-response");
        FutureIncomingResponse = Types.DefineResource("future-incoming-response");

        var dnsPayload = ValType.Record(("rcode", ValType.Option(ValType.String)), ("info-code", ValType.Option(ValType.U16)));
        var tlsPayload = ValType.Record(("alert-id", ValType.Option(ValType.U8)), ("alert-message", ValType.Option(ValType.String)));
        var fieldSize = ValType.Record(("field-name", ValType.Option(ValType.String)), ("field-size", ValType.Option(ValType.U32)));
        ErrorCode = ValType.Variant(
            ("DNS-timeout", null), ("DNS-error", dnsPayload), ("destination-not-found", null), ("destination-unavailable", null),
            ("destination-IP-prohibited", null), ("destination-IP-unroutable", null), ("connection-refused", null),
            ("connection-terminated", null), ("connection-timeout", null), ("connection-read-timeout", null),
            ("connection-write-timeout", null), ("connection-limit-reached", null), ("TLS-protocol-error", null),
            ("TLS-certificate-error", null), ("TLS-alert-received", tlsPayload), ("HTTP-request-denied", null),
            ("HTTP-request-length-required", null), ("HTTP-request-body-size", ValType.Option(ValType.U64)),
            ("HTTP-request-method-invalid", null), ("HTTP-request-URI-invalid", null), ("HTTP-request-URI-too-long", null),
            ("HTTP-request-header-section-size", ValType.Option(ValType.U32)), ("HTTP-request-header-size", ValType.Option(fieldSize)),
            ("HTTP-request-trailer-section-size", ValType.Option(ValType.U32)), ("HTTP-request-trailer-size", fieldSize),
            ("HTTP-response-incomplete", null), ("HTTP-response-header-section-size", ValType.Option(ValType.U32)),
            ("HTTP-response-header-size", fieldSize), ("HTTP-response-body-size", ValType.Option(ValType.U64)),
            ("HTTP-response-trailer-section-size", ValType.Option(ValType.U32)), ("HTTP-response-trailer-size", fieldSize),
            ("HTTP-response-transfer-coding", ValType.Option(ValType.String)), ("HTTP-response-content-coding", ValType.Option(ValType.String)),
            ("HTTP-response-timeout", null), ("HTTP-upgrade-failed", null), ("HTTP-protocol-error", null), ("loop-detected", null),
            ("configuration-error", null), ("internal-error", ValType.Option(ValType.String)));
        Method = ValType.Variant([.. MethodCases.Select(c => (c, (ValType?)null)), ("other", ValType.String)]);
        Scheme = ValType.Variant(("HTTP", null), ("HTTPS", null), ("other", ValType.String));
        HeaderError = ValType.Variant(("invalid-syntax", null), ("forbidden", null), ("immutable", null));

        DefineFields();
        DefineIncoming();
        DefineOutgoingResponse();
        DefineOutgoingRequest();

        OutgoingHandler = new HostInterface($"wasi:http/outgoing-handler@{Version}");
        foreach (var type in new[] { OutgoingRequest, RequestOptions, FutureIncomingResponse })
        {
            OutgoingHandler.AddResource(type.Name, type);
        }

        OutgoingHandler.DefineFunction(
            "handle",
            Func(ValType.Result(ValType.Own(FutureIncomingResponse), ErrorCode), ("request", ValType.Own(OutgoingRequest)), ("options", ValType.Option(ValType.Own(RequestOptions)))),
            (i, a) => Send(i, (OutgoingRequest)a[0]!, ((Variant)a[1]!).Payload as RequestOptions));
    }

    /// <summary><c>wasi:http/types</c>.</summary>
    public HostInterface Types { get; }

    /// <summary><c>wasi:http/outgoing-handler</c>: sends what the instance's <see cref="WasiContext.OutgoingHttp"/> allows, denies the rest.</summary>
    public HostInterface OutgoingHandler { get; }

    /// <summary>The <c>fields</c> resource.</summary>
    public ResourceType Fields { get; }

    /// <summary>The <c>incoming-request</c> resource: an <see cref="IncomingHttpRequest"/>.</summary>
    public ResourceType IncomingRequest { get; }

    /// <summary>The <c>response-outparam</c> resource: a <see cref="Wasi.ResponseOutparam"/>.</summary>
    public ResourceType ResponseOutparamType { get; }

    /// <summary>The <c>outgoing-response</c> resource.</summary>
    public ResourceType OutgoingResponse { get; }

    internal ResourceType OutgoingBody { get; }

    internal ResourceType IncomingBody { get; }

    internal ResourceType FutureTrailers { get; }

    internal ResourceType OutgoingRequest { get; }

    internal ResourceType RequestOptions { get; }

    internal ResourceType IncomingResponse { get; }

    internal ResourceType FutureIncomingResponse { get; }

    internal VariantType ErrorCode { get; }

    internal VariantType Method { get; }

    internal VariantType Scheme { get; }

    internal VariantType HeaderError { get; }

    /// <summary>The <c>incoming-handler</c> export's type (<c>handle</c>).</summary>
    public FunctionType HandlerType => new([new Field("request", ValType.Own(IncomingRequest)), new Field("response-out", ValType.Own(ResponseOutparamType))], null);

    /// <summary>Adds both interfaces to <paramref name="definitions"/>.</summary>
    public HostDefinitions AddTo(HostDefinitions definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        return definitions.Add(Types).Add(OutgoingHandler);
    }

    /// <summary>The <c>method</c> variant for a method name.</summary>
    internal static Variant MethodValue(string method)
    {
        var index = Array.IndexOf(MethodCases, method.ToLowerInvariant());
        return index >= 0 ? new Variant(index, null) : new Variant(MethodCases.Length, method);
    }

    /// <summary>The <c>error-code</c> value for a failed outgoing request.</summary>
    internal Variant ErrorFor(Exception failure)
    {
        var (name, payload) = OutgoingErrors.Classify(failure);
        return new Variant(ErrorCode.CaseIndex(name), payload);
    }

    private Variant Error(string name, object? payload = null) => new(ErrorCode.CaseIndex(name), payload);

    // outgoing-handler.handle: checks the request, then the origin against the instance's permission, and only then
    // starts sending; the guest waits for the answer through the future it gets back.
    private Variant Send(ComponentInstance instance, OutgoingRequest request, RequestOptions? options)
    {
        var wasi = (instance.State as IWasiState)?.Wasi;
        var scheme = request.Scheme switch
        {
            null or { Case: 1 } => "https",
            { Case: 0 } => "http",
            _ => null,
        };
        if (scheme is null)
        {
            return Variant.Err(Error("HTTP-protocol-error"));
        }

        var path = request.PathWithQuery ?? "/";
        var method = request.Method.Payload as string ?? MethodCases[request.Method.Case].ToUpperInvariant();
        if (method == "CONNECT")
        {
            return Variant.Err(Error("HTTP-request-method-invalid"));
        }

        // A request without an authority, or to self.alt (for SDKs that insist on one), is for the application
        // itself, as in Spin: allowed by http://self, and sent to wherever the application is served.
        Uri? target;
        var outgoing = wasi?.OutgoingHttp;
        if (IsSelfRequest(request.Authority))
        {
            if (outgoing is not { AllowsSelf: true })
            {
                outgoing?.Denied("http://self");
                return NotSent("HTTP-request-denied", "the request was denied");
            }

            if (!path.StartsWith('/') || outgoing.SelfOrigin is not { } origin || !Uri.TryCreate(origin, path, out target))
            {
                return NotSent("HTTP-request-URI-invalid", "the request has no valid target");
            }
        }
        else
        {
            var authority = request.Authority!;
            if (authority.Contains('@', StringComparison.Ordinal) || authority.Contains('/', StringComparison.Ordinal)
                || !path.StartsWith('/') || !Uri.TryCreate($"{scheme}://{authority}{path}", UriKind.Absolute, out target))
            {
                return NotSent("HTTP-request-URI-invalid", "the request has no valid target");
            }

            if (outgoing is null || !outgoing.Allows(target))
            {
                outgoing?.Denied(target.GetLeftPart(UriPartial.Authority));
                return NotSent("HTTP-request-denied", "the request was denied");
            }
        }

        // The host may send an allowed request elsewhere (service chaining); its target has no address yet when the
        // application is not served.
        var redirect = outgoing.Redirect(target);
        if (redirect is { Target: null })
        {
            return NotSent("HTTP-request-URI-invalid", "the request has no valid target");
        }

        var message = new HttpRequestMessage(new HttpMethod(method), redirect?.Target ?? target);
        var contentHeaders = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in request.Headers.Entries)
        {
            // The connection goes to the authority the permission was checked against, and so does Host. A header
            // the host adds for a redirect is the host's alone.
            if (string.Equals(name, "host", StringComparison.OrdinalIgnoreCase)
                || (redirect is not null && string.Equals(name, redirect.HeaderName, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var text = Encoding.Latin1.GetString(value);
            if (!message.Headers.TryAddWithoutValidation(name, text))
            {
                contentHeaders.Add(new(name, text));
            }
        }

        if (redirect is not null)
        {
            message.Headers.TryAddWithoutValidation(redirect.HeaderName, redirect.HeaderValue);
        }

        if (request.Body is { } body)
        {
            message.Content = body.StartSending();
        }
        else if (contentHeaders.Count > 0)
        {
            message.Content = new ByteArrayContent([]);
        }

        foreach (var (name, text) in contentHeaders)
        {
            if (message.Content is null || !message.Content.Headers.TryAddWithoutValidation(name, text))
            {
                message.Dispose();
                return NotSent("HTTP-request-header-size", $"the request was not sent: its header '{name}' was refused", new object?[] { Variant.Some(name), Variant.None });
            }
        }

        if (options?.ConnectTimeout is { } connect)
        {
            message.Options.Set(OutgoingHttp.ConnectTimeoutKey, Nanoseconds(connect));
        }

        var exchange = new OutgoingExchange(outgoing, message, options?.FirstByteTimeout is { } first ? Nanoseconds(first) : null, options?.BetweenBytesTimeout is { } between ? Nanoseconds(between) : null, wasi?.Deadline);
        return Variant.Ok(exchange);

        static TimeSpan Nanoseconds(ulong value) => TimeSpan.FromTicks((long)Math.Min(value / 100, (ulong)TimeSpan.MaxValue.Ticks));

        // A request that is never sent fails its body too, for the guest still writing it.
        Variant NotSent(string errorCase, string reason, object? payload = null)
        {
            request.Body?.Abort(reason);
            return Variant.Err(Error(errorCase, payload));
        }
    }

    private static bool IsSelfRequest(string? authority)
    {
        if (string.IsNullOrEmpty(authority))
        {
            return true;
        }

        var colon = authority.LastIndexOf(':');
        var host = colon > 0 && !authority.EndsWith(']') ? authority[..colon] : authority;
        return string.Equals(host, "self.alt", StringComparison.OrdinalIgnoreCase);
    }

    private static FunctionType Func(ValType? result, params (string Name, ValType Type)[] parameters) =>
        new([.. parameters.Select(p => new Field(p.Name, p.Type))], result);

    private static long? Deadline(ComponentInstance instance) => (instance.State as IWasiState)?.Wasi.Deadline;

    private Variant HeaderFailure(string name) => new(HeaderError.CaseIndex(name), null);

    private void DefineFields()
    {
        var self = ("self", (ValType)ValType.Borrow(Fields));
        var unit = ValType.Result(null, HeaderError);
        var entries = ValType.List(ValType.Tuple(ValType.String, ValType.Bytes));
        Types.DefineFunction("[constructor]fields", Func(ValType.Own(Fields)), (_, _) => new HttpFields());
        Types.DefineFunction("[static]fields.from-list", Func(ValType.Result(ValType.Own(Fields), HeaderError), ("entries", entries)), (_, a) =>
        {
            var fields = new HttpFields();
            foreach (var pair in ((object?[])a[0]!).Cast<object?[]>())
            {
                var (name, value) = ((string)pair[0]!, (byte[])pair[1]!);
                if (Check(name, value) is { } error)
                {
                    return Variant.Err(error);
                }

                fields.Append(name, value);
            }

            return Variant.Ok(fields);
        });
        Types.DefineFunction("[method]fields.get", Func(ValType.List(ValType.Bytes), self, ("name", ValType.String)), (_, a) =>
            ((HttpFields)a[0]!).Get((string)a[1]!).Cast<object?>().ToArray());
        Types.DefineFunction("[method]fields.has", Func(ValType.Bool, self, ("name", ValType.String)), (_, a) =>
            ((HttpFields)a[0]!).Get((string)a[1]!).Count > 0);
        Types.DefineFunction("[method]fields.set", Func(unit, self, ("name", ValType.String), ("value", ValType.List(ValType.Bytes))), (_, a) =>
        {
            var fields = (HttpFields)a[0]!;
            var name = (string)a[1]!;
            var values = ((object?[])a[2]!).Cast<byte[]>().ToList();
            var error = fields.Immutable ? HeaderFailure("immutable") : values.Select(v => Check(name, v)).FirstOrDefault(e => e is not null) ?? Check(name, []);
            if (error is not null)
            {
                return Variant.Err(error);
            }

            fields.Set(name, values);
            return Variant.OkUnit;
        });
        Types.DefineFunction("[method]fields.delete", Func(unit, self, ("name", ValType.String)), (_, a) =>
        {
            var fields = (HttpFields)a[0]!;
            var name = (string)a[1]!;
            var error = fields.Immutable ? HeaderFailure("immutable") : Check(name, []);
            if (error is not null)
            {
                return Variant.Err(error);
            }

            fields.Delete(name);
            return Variant.OkUnit;
        });
        Types.DefineFunction("[method]fields.append", Func(unit, self, ("name", ValType.String), ("value", ValType.Bytes)), (_, a) =>
        {
            var fields = (HttpFields)a[0]!;
            var (name, value) = ((string)a[1]!, (byte[])a[2]!);
            var error = fields.Immutable ? HeaderFailure("immutable") : Check(name, value);
            if (error is not null)
            {
                return Variant.Err(error);
            }

            fields.Append(name, value);
            return Variant.OkUnit;
        });
        Types.DefineFunction("[method]fields.entries", Func(entries, self), (_, a) =>
            ((HttpFields)a[0]!).Entries.Select(e => (object?)new object?[] { e.Key, e.Value }).ToArray());
        Types.DefineFunction("[method]fields.clone", Func(ValType.Own(Fields), self), (_, a) => ((HttpFields)a[0]!).Clone(immutable: false));
    }

    private Variant? Check(string name, byte[] value) =>
        !HttpFields.IsValidName(name) || !HttpFields.IsValidValue(value) ? HeaderFailure("invalid-syntax")
        : HttpFields.IsForbidden(name) ? HeaderFailure("forbidden")
        : null;

    private void DefineIncoming()
    {
        var request = ("self", (ValType)ValType.Borrow(IncomingRequest));
        Types.DefineFunction("[method]incoming-request.method", Func(Method, request), (_, a) => MethodValue(((IncomingHttpRequest)a[0]!).Method));
        Types.DefineFunction("[method]incoming-request.path-with-query", Func(ValType.Option(ValType.String), request), (_, a) =>
            Variant.Some(((IncomingHttpRequest)a[0]!).PathWithQuery));
        Types.DefineFunction("[method]incoming-request.scheme", Func(ValType.Option(Scheme), request), (_, a) =>
            Variant.Some(((IncomingHttpRequest)a[0]!).Scheme switch
            {
                "http" => new Variant(0, null),
                "https" => new Variant(1, null),
                var other => new Variant(2, other),
            }));
        Types.DefineFunction("[method]incoming-request.authority", Func(ValType.Option(ValType.String), request), (_, a) =>
            ((IncomingHttpRequest)a[0]!).Authority is { } authority ? Variant.Some(authority) : Variant.None);
        Types.DefineFunction("[method]incoming-request.headers", Func(ValType.Own(Fields), request), (_, a) =>
            ((IncomingHttpRequest)a[0]!).Headers.Clone(immutable: true));
        Types.DefineFunction("[method]incoming-request.consume", Func(ValType.Result(ValType.Own(IncomingBody), null), request), (_, a) =>
        {
            var incoming = (IncomingHttpRequest)a[0]!;
            if (incoming.Consumed)
            {
                return Variant.Err(null);
            }

            incoming.Consumed = true;
            return Variant.Ok(new IncomingBody(incoming.Body));
        });

        var body = ("self", (ValType)ValType.Borrow(IncomingBody));
        Types.DefineFunction("[method]incoming-body.stream", Func(ValType.Result(ValType.Own(_wasi.InputStream), null), body), (_, a) =>
        {
            var incoming = (IncomingBody)a[0]!;
            if (incoming.StreamTaken)
            {
                return Variant.Err(null);
            }

            incoming.StreamTaken = true;
            return Variant.Ok(incoming.Stream);
        });
        Types.DefineFunction("[static]incoming-body.finish", Func(ValType.Own(FutureTrailers), ("this", ValType.Own(IncomingBody))), (_, _) => new FutureTrailers());

        var trailers = ("self", (ValType)ValType.Borrow(FutureTrailers));
        Types.DefineFunction("[method]future-trailers.subscribe", Func(ValType.Own(_wasi.Pollable), trailers), (_, _) => Pollable.Ready);
        var trailersResult = ValType.Option(ValType.Result(ValType.Result(ValType.Option(ValType.Own(Fields)), ErrorCode), null));
        Types.DefineFunction("[method]future-trailers.get", Func(trailersResult, trailers), (_, a) =>
        {
            // Request trailers are not passed on: ready at once with none; a second get is err, as the WIT says.
            var future = (FutureTrailers)a[0]!;
            var first = !future.Taken;
            future.Taken = true;
            return Variant.Some(first ? Variant.Ok(Variant.Ok(Variant.None)) : Variant.Err(null));
        });

        Types.DefineFunction("http-error-code", Func(ValType.Option(ErrorCode), ("err", ValType.Borrow(_wasi.Error))), (_, a) =>
            ErrorCodeOf((WasiError)a[0]!) is { } code ? Variant.Some(code) : Variant.None);
    }

    /// <summary>The <c>error-code</c> of a stream error that an HTTP body failure caused; <see langword="null"/> for any other.</summary>
    internal Variant? ErrorCodeOf(WasiError error) =>
        error.Cause is IncomingBodyException body ? Error(body.ErrorCase, body.Payload) : null;

    private void DefineOutgoingResponse()
    {
        var self = ("self", (ValType)ValType.Borrow(OutgoingResponse));
        Types.DefineFunction("[constructor]outgoing-response", Func(ValType.Own(OutgoingResponse), ("headers", ValType.Own(Fields))), (_, a) =>
            new OutgoingHttpResponse((HttpFields)a[0]!));
        Types.DefineFunction("[method]outgoing-response.status-code", Func(ValType.U16, self), (_, a) => (ushort)((OutgoingHttpResponse)a[0]!).Status);
        Types.DefineFunction("[method]outgoing-response.set-status-code", Func(ValType.Result(null, null), self, ("status-code", ValType.U16)), (_, a) =>
        {
            var status = (ushort)a[1]!;
            if (status is < 100 or > 999)
            {
                return Variant.Err(null);
            }

            ((OutgoingHttpResponse)a[0]!).Status = status;
            return Variant.OkUnit;
        });
        Types.DefineFunction("[method]outgoing-response.headers", Func(ValType.Own(Fields), self), (_, a) => ((OutgoingHttpResponse)a[0]!).Headers);
        Types.DefineFunction("[method]outgoing-response.body", Func(ValType.Result(ValType.Own(OutgoingBody), null), self), (_, a) =>
        {
            var response = (OutgoingHttpResponse)a[0]!;
            if (response.BodyTaken)
            {
                return Variant.Err(null);
            }

            response.BodyTaken = true;
            return Variant.Ok(new ResponseBody(response));
        });

        var body = ("self", (ValType)ValType.Borrow(OutgoingBody));
        Types.DefineFunction("[method]outgoing-body.write", Func(ValType.Result(ValType.Own(_wasi.OutputStream), null), body), (i, a) =>
        {
            var outgoing = (OutgoingBody)a[0]!;
            if (outgoing.StreamTaken)
            {
                return Variant.Err(null);
            }

            outgoing.StreamTaken = true;
            return Variant.Ok(outgoing.OpenStream(Deadline(i)));
        });
        Types.DefineFunction(
            "[static]outgoing-body.finish",
            Func(ValType.Result(null, ErrorCode), ("this", ValType.Own(OutgoingBody)), ("trailers", ValType.Option(ValType.Own(Fields)))),
            (_, a) =>
            {
                // Trailers are not sent (HTTP/1.1 peers rarely accept them); the body ends here.
                ((OutgoingBody)a[0]!).Finish();
                return Variant.OkUnit;
            });

        Types.DefineFunction(
            "[static]response-outparam.set",
            Func(null, ("param", ValType.Own(ResponseOutparamType)), ("response", ValType.Result(ValType.Own(OutgoingResponse), ErrorCode))),
            (_, a) =>
            {
                var outparam = (ResponseOutparam)a[0]!;
                var result = (Variant)a[1]!;
                if (result.Case == 0)
                {
                    outparam.Set((OutgoingHttpResponse)result.Payload!, null);
                }
                else
                {
                    var code = (Variant)result.Payload!;
                    outparam.Set(null, $"the guest answered with error-code {ErrorCode.Cases[code.Case].Name}");
                }

                return null;
            });
    }

    private void DefineOutgoingRequest()
    {
        var self = ("self", (ValType)ValType.Borrow(OutgoingRequest));
        var setter = ValType.Result(null, null);
        Types.DefineFunction("[constructor]outgoing-request", Func(ValType.Own(OutgoingRequest), ("headers", ValType.Own(Fields))), (_, a) =>
            new OutgoingRequest((HttpFields)a[0]!));
        Types.DefineFunction("[method]outgoing-request.body", Func(ValType.Result(ValType.Own(OutgoingBody), null), self), (_, a) =>
        {
            var request = (OutgoingRequest)a[0]!;
            if (request.Body is not null)
            {
                return Variant.Err(null);
            }

            request.Body = new RequestBody();
            return Variant.Ok(request.Body);
        });
        Types.DefineFunction("[method]outgoing-request.method", Func(Method, self), (_, a) => ((OutgoingRequest)a[0]!).Method);
        Types.DefineFunction("[method]outgoing-request.set-method", Func(setter, self, ("method", Method)), (_, a) =>
        {
            var method = (Variant)a[1]!;
            if (method.Payload is string other && !HttpFields.IsValidName(other))
            {
                return Variant.Err(null);
            }

            ((OutgoingRequest)a[0]!).Method = method;
            return Variant.OkUnit;
        });
        Types.DefineFunction("[method]outgoing-request.path-with-query", Func(ValType.Option(ValType.String), self), (_, a) =>
            ((OutgoingRequest)a[0]!).PathWithQuery is { } path ? Variant.Some(path) : Variant.None);
        Types.DefineFunction("[method]outgoing-request.set-path-with-query", Func(setter, self, ("path-with-query", ValType.Option(ValType.String))), (_, a) =>
        {
            ((OutgoingRequest)a[0]!).PathWithQuery = ((Variant)a[1]!).Payload as string;
            return Variant.OkUnit;
        });
        Types.DefineFunction("[method]outgoing-request.scheme", Func(ValType.Option(Scheme), self), (_, a) =>
            ((OutgoingRequest)a[0]!).Scheme is { } scheme ? Variant.Some(scheme) : Variant.None);
        Types.DefineFunction("[method]outgoing-request.set-scheme", Func(setter, self, ("scheme", ValType.Option(Scheme))), (_, a) =>
        {
            ((OutgoingRequest)a[0]!).Scheme = ((Variant)a[1]!).Payload as Variant;
            return Variant.OkUnit;
        });
        Types.DefineFunction("[method]outgoing-request.authority", Func(ValType.Option(ValType.String), self), (_, a) =>
            ((OutgoingRequest)a[0]!).Authority is { } authority ? Variant.Some(authority) : Variant.None);
        Types.DefineFunction("[method]outgoing-request.set-authority", Func(setter, self, ("authority", ValType.Option(ValType.String))), (_, a) =>
        {
            ((OutgoingRequest)a[0]!).Authority = ((Variant)a[1]!).Payload as string;
            return Variant.OkUnit;
        });
        Types.DefineFunction("[method]outgoing-request.headers", Func(ValType.Own(Fields), self), (_, a) => ((OutgoingRequest)a[0]!).Headers);

        var options = ("self", (ValType)ValType.Borrow(RequestOptions));
        var duration = ValType.Option(ValType.U64);
        Types.DefineFunction("[constructor]request-options", Func(ValType.Own(RequestOptions)), (_, _) => new RequestOptions());
        DefineTimeout("connect-timeout", o => o.ConnectTimeout, (o, v) => o.ConnectTimeout = v);
        DefineTimeout("first-byte-timeout", o => o.FirstByteTimeout, (o, v) => o.FirstByteTimeout = v);
        DefineTimeout("between-bytes-timeout", o => o.BetweenBytesTimeout, (o, v) => o.BetweenBytesTimeout = v);

        void DefineTimeout(string name, Func<RequestOptions, ulong?> get, Action<RequestOptions, ulong?> set)
        {
            Types.DefineFunction($"[method]request-options.{name}", Func(duration, options), (_, a) =>
                get((RequestOptions)a[0]!) is { } value ? Variant.Some(value) : Variant.None);
            Types.DefineFunction($"[method]request-options.set-{name}", Func(setter, options, ("duration", duration)), (_, a) =>
            {
                set((RequestOptions)a[0]!, ((Variant)a[1]!).Payload as ulong?);
                return Variant.OkUnit;
            });
        }

        var response = ("self", (ValType)ValType.Borrow(IncomingResponse));
        Types.DefineFunction("[method]incoming-response.status", Func(ValType.U16, response), (_, a) => ((IncomingHttpResponse)a[0]!).Status);
        Types.DefineFunction("[method]incoming-response.headers", Func(ValType.Own(Fields), response), (_, a) => ((IncomingHttpResponse)a[0]!).Headers.Clone(immutable: true));
        Types.DefineFunction("[method]incoming-response.consume", Func(ValType.Result(ValType.Own(IncomingBody), null), response), (_, a) =>
            ((IncomingHttpResponse)a[0]!).Consume() is { } body ? Variant.Ok(body) : Variant.Err(null));
        var future = ("self", (ValType)ValType.Borrow(FutureIncomingResponse));
        Types.DefineFunction("[method]future-incoming-response.subscribe", Func(ValType.Own(_wasi.Pollable), future), (_, a) => ((OutgoingExchange)a[0]!).Ready);
        Types.DefineFunction(
            "[method]future-incoming-response.get",
            Func(ValType.Option(ValType.Result(ValType.Result(ValType.Own(IncomingResponse), ErrorCode), null)), future),
            (_, a) => ((OutgoingExchange)a[0]!).Get(this));
    }
}
