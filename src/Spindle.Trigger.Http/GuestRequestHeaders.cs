using System.Net;
using Microsoft.AspNetCore.Http;

namespace Spindle.Trigger.Http;

/// <summary>
/// The one place that builds the header list a guest receives, whatever kind of handler serves the route: the
/// client's headers with lower-case names, except every name the host sets itself, then the host's <c>spin-*</c>
/// headers. A client can therefore never choose <c>spin-path-info</c>, <c>spin-client-addr</c>,
/// <c>spin-full-url</c> or any other of them; Spin strips them the same way.
/// </summary>
internal static class GuestRequestHeaders
{
    // entryPerValue: one entry per value of a multi-valued header (wasi:http); otherwise one comma-joined entry (Spin 1.x).
    public static List<KeyValuePair<string, string>> Build(HttpContext context, HttpRoute route, string rawTarget, string path, bool entryPerValue = false)
    {
        var request = context.Request;
        var connection = context.Connection;
        var client = connection.RemoteIpAddress is null ? string.Empty : new IPEndPoint(connection.RemoteIpAddress, connection.RemotePort).ToString();

        // The host's headers come first so that the filter below strips exactly the names set here, and a header
        // added here later is stripped from clients without a second list to keep in step.
        KeyValuePair<string, string>[] host =
        [
            new("spin-full-url", $"{request.Scheme}://{request.Host}{rawTarget}"),
            new("spin-path-info", route.PathInfo(path)),
            new("spin-matched-route", route.Pattern),
            new("spin-base-path", "/"),
            new("spin-raw-component-route", route.Pattern),
            new("spin-component-route", route.BasePath),
            new("spin-client-addr", client),
        ];

        var headers = new List<KeyValuePair<string, string>>(request.Headers.Count + host.Length);
        foreach (var (name, values) in request.Headers)
        {
            if (IsSetByHost(host, name))
            {
                continue;
            }

            if (entryPerValue)
            {
                foreach (var value in values)
                {
                    headers.Add(new(name.ToLowerInvariant(), value ?? string.Empty));
                }
            }
            else
            {
                headers.Add(new(name.ToLowerInvariant(), values.ToString()));
            }
        }

        headers.AddRange(host);
        return headers;
    }

    // Field names are case-insensitive (RFC 9110), so Spin-Path-Info is spin-path-info.
    private static bool IsSetByHost(KeyValuePair<string, string>[] host, string name)
    {
        foreach (var (hostName, _) in host)
        {
            if (string.Equals(hostName, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
