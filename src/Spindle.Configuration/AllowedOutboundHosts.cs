using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Spindle.Configuration;

/// <summary>
/// A component's <c>allowed_outbound_hosts</c> (and the older <c>allowed_http_hosts</c>): the origins its outbound
/// requests may reach, with Spin's pattern rules. Each entry is <c>scheme://host[:port]</c>:
/// <list type="bullet">
/// <item>scheme: a name such as <c>https</c>, or <c>*</c> for any;</item>
/// <item>host: a name or IP address (exact, case-insensitive), <c>*</c> for any, <c>*.example.com</c> for any
/// subdomain of example.com (not example.com itself), an IP network in CIDR form (<c>10.0.0.0/8</c>), or
/// <c>self</c> (the application itself, for requests without a host);</item>
/// <item>port: a number, a range <c>8000..8100</c> (the end excluded), <c>*</c> for any, or nothing for the scheme's
/// well-known port (an error for a scheme without one).</item>
/// </list>
/// No entry means no outbound request is allowed.
/// </summary>
public sealed class AllowedOutboundHosts
{
    private readonly Rule[] _rules;

    private AllowedOutboundHosts(IReadOnlyList<string> entries, Rule[] rules)
    {
        Entries = entries;
        _rules = rules;
    }

    /// <summary>Allows nothing.</summary>
    public static AllowedOutboundHosts None { get; } = new([], []);

    /// <summary>The entries as written (after converting <c>allowed_http_hosts</c>).</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>Whether requests to the application itself (<c>self</c>) are allowed.</summary>
    public bool AllowsSelf => _rules.Any(r => r.Host.Kind == HostKind.Self);

    /// <summary>Parses <c>allowed_outbound_hosts</c> entries.</summary>
    /// <exception cref="ConfigurationException">An entry is not a valid pattern; the message names the file, the key and the fix.</exception>
    public static AllowedOutboundHosts Parse(IReadOnlyList<string> entries, string filePath, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 1 && entries[0].Trim() == "insecure:allow-all")
        {
            throw new ConfigurationException(filePath, keyPath, "\"insecure:allow-all\" is not accepted here; write \"*://*:*\" to allow every outbound request (this turns off the sandbox's network check)");
        }

        var rules = new Rule[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            rules[i] = ParseEntry(entries[i], filePath, keyPath);
        }

        return new AllowedOutboundHosts(entries, rules);
    }

    /// <summary>
    /// Converts Spin 1.x <c>allowed_http_hosts</c> entries (<c>example.com</c>, <c>example.com:8080</c>,
    /// <c>https://example.com</c>, <c>self</c>, or <c>insecure:allow-all</c>) into outbound host entries, as Spin does:
    /// a host without a scheme is allowed over both http and https.
    /// </summary>
    /// <exception cref="ConfigurationException">An entry is not a host.</exception>
    internal static IReadOnlyList<string> FromAllowedHttpHosts(IReadOnlyList<string> entries, string filePath, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Any(e => e.Trim() == "insecure:allow-all"))
        {
            return ["http://*:*", "https://*:*", "http://self"];
        }

        var converted = new List<string>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (entry == "self")
            {
                converted.Add("http://self");
                continue;
            }

            string authority;
            if (entry.Contains("://", StringComparison.Ordinal))
            {
                if (!Uri.TryCreate(entry, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.PathAndQuery is not ("/" or ""))
                {
                    throw new ConfigurationException(filePath, keyPath, $"\"{raw}\" is not a host; write a host such as \"example.com\" or \"example.com:8080\"");
                }

                authority = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
            }
            else
            {
                authority = entry.TrimEnd('/');
                if (authority.Length == 0 || authority.Contains('/', StringComparison.Ordinal) || authority.Contains('*', StringComparison.Ordinal))
                {
                    throw new ConfigurationException(filePath, keyPath, $"\"{raw}\" is not a host; write a host such as \"example.com\" or \"example.com:8080\"");
                }
            }

            converted.Add($"http://{authority}");
            converted.Add($"https://{authority}");
        }

        return converted;
    }

    /// <summary>Whether a request to <paramref name="target"/> (an absolute URI) is allowed.</summary>
    public bool Allows(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!target.IsAbsoluteUri)
        {
            return false;
        }

        var scheme = target.Scheme;
        var host = target.HostNameType == UriHostNameType.IPv6 ? target.Host.Trim('[', ']') : target.Host;
        var port = target.Port >= 0 ? target.Port : WellKnownPort(scheme);
        return _rules.Any(r => r.Allows(scheme, host, port));
    }

    /// <inheritdoc/>
    public override string ToString() => Entries.Count == 0 ? "(none)" : string.Join(", ", Entries);

    private static Rule ParseEntry(string raw, string filePath, string keyPath)
    {
        var entry = raw.Trim();
        ConfigurationException Bad(string problem) =>
            new(filePath, keyPath, $"\"{raw}\" {problem}; write entries as scheme://host[:port], for example \"https://example.com\", \"http://localhost:3000\" or \"https://*.example.com:*\"");

        // AppManifest resolves {{ variable }} templates before parsing; what is left is a template this method was
        // given directly, or a variable whose value holds one.
        if (entry.Contains("{{", StringComparison.Ordinal))
        {
            throw Bad("holds an unresolved {{ template }}; give the entry, or the variable it uses, a literal value");
        }

        var schemeEnd = entry.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            throw Bad("has no scheme (such as https:// or *://)");
        }

        var scheme = entry[..schemeEnd];
        if (scheme != "*" && (scheme.Length == 0 || !scheme.All(char.IsAsciiLetter)))
        {
            throw Bad($"has scheme \"{scheme}\"; a scheme is letters only, or *");
        }

        var rest = entry[(schemeEnd + 3)..];

        // A trailing "/" is allowed; any other path is not.
        var slash = FindPathStart(rest);
        if (slash >= 0)
        {
            var path = rest[slash..];
            if (path != "/" && !IsCidrSuffix(rest, slash))
            {
                throw Bad("has a path; an entry names an origin only");
            }

            if (path == "/")
            {
                rest = rest[..slash];
            }
        }

        var (hostText, portText) = SplitPort(rest);
        var host = ParseHost(hostText, Bad);
        var port = ParsePort(portText, scheme, Bad);
        return new Rule(scheme == "*" ? null : scheme.ToLowerInvariant(), host, port);
    }

    // The position of a path's "/" in "host[:port][/...]", skipping the prefix-length "/" of a CIDR host.
    private static int FindPathStart(string rest) => rest.IndexOf('/', StringComparison.Ordinal);

    private static bool IsCidrSuffix(string rest, int slash)
    {
        var (host, _) = SplitPort(rest);
        return host.Contains('/', StringComparison.Ordinal) && TryParseNetwork(host, out _, out _);
    }

    // "host:port", "[v6]:port", "host", "10.0.0.0/8:80"; the port is after the last ':' outside brackets.
    private static (string Host, string Port) SplitPort(string rest)
    {
        var bracket = rest.LastIndexOf(']');
        var colon = rest.LastIndexOf(':');
        if (colon > bracket && (bracket >= 0 || rest.IndexOf(':') == colon))
        {
            return (rest[..colon], rest[(colon + 1)..]);
        }

        return (rest, "");
    }

    private static HostPattern ParseHost(string text, Func<string, ConfigurationException> bad)
    {
        var host = text.Trim();
        switch (host)
        {
            case "":
                throw bad("has no host");
            case "*":
                return new HostPattern(HostKind.Any, "", null, 0);
            case "self" or "self.alt":
                return new HostPattern(HostKind.Self, "", null, 0);
        }

        if (host.StartsWith('{'))
        {
            throw bad("uses a host list, which Spin does not support either; write one entry per host");
        }

        if (TryParseNetwork(host, out var network, out var prefix))
        {
            return new HostPattern(HostKind.Network, "", network, prefix);
        }

        if (host.StartsWith("*.", StringComparison.Ordinal))
        {
            var domain = host[2..];
            if (domain.Length == 0 || domain.Contains('*', StringComparison.Ordinal))
            {
                throw bad("has a wildcard that is not a whole leading label; use *.example.com");
            }

            return new HostPattern(HostKind.Subdomain, "." + domain, null, 0);
        }

        if (host.Contains('*', StringComparison.Ordinal))
        {
            throw bad("has a wildcard inside the host; use * alone or *.example.com");
        }

        if (host.Contains('/', StringComparison.Ordinal))
        {
            throw bad("has a host that is neither a name nor an IP network");
        }

        return new HostPattern(HostKind.Exact, host.Trim('[', ']'), null, 0);
    }

    private static bool TryParseNetwork(string text, out IPAddress? network, out int prefix)
    {
        network = null;
        prefix = 0;
        var unbracketed = text.Trim('[', ']');
        var slash = unbracketed.IndexOf('/');
        var addressText = slash < 0 ? unbracketed : unbracketed[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || (slash < 0 && !addressText.Contains('.') && !addressText.Contains(':')))
        {
            return false;
        }

        var bits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        prefix = bits;
        if (slash >= 0 && (!int.TryParse(unbracketed[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
        {
            return false;
        }

        network = address;
        return true;
    }

    private static PortPattern ParsePort(string text, string scheme, Func<string, ConfigurationException> bad)
    {
        var port = text.Trim();
        if (port.Length == 0)
        {
            return WellKnownPort(scheme) is { } known
                ? new PortPattern(false, known, known + 1)
                : throw bad($"has no port, and scheme \"{scheme}\" has no well-known one; add :port, or :* for any");
        }

        if (port == "*")
        {
            return new PortPattern(true, 0, 0);
        }

        if (port.StartsWith('{'))
        {
            throw bad("uses a port list, which Spin does not support either; write one entry per port, or a range such as 8000..8100");
        }

        var range = port.IndexOf("..", StringComparison.Ordinal);
        if (range >= 0)
        {
            if (!ushort.TryParse(port[..range], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                || !ushort.TryParse(port[(range + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out var end))
            {
                throw bad($"has port range \"{port}\", which is not two numbers from 0 to 65535");
            }

            return new PortPattern(false, start, end);
        }

        return ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var single)
            ? new PortPattern(false, single, single + 1)
            : throw bad($"has port \"{port}\", which is not a number from 0 to 65535, a range or *");
    }

    private static int? WellKnownPort(string scheme) => scheme.ToLowerInvariant() switch
    {
        "http" => 80,
        "https" => 443,
        "postgres" => 5432,
        "mysql" => 3306,
        "redis" => 6379,
        "mqtt" => 1883,
        _ => null,
    };

    private enum HostKind
    {
        Any,
        Self,
        Exact,
        Subdomain,
        Network,
    }

    private sealed record HostPattern(HostKind Kind, string Name, IPAddress? Network, int Prefix)
    {
        public bool Allows(string host) => Kind switch
        {
            HostKind.Any => true,
            HostKind.Exact => string.Equals(Name, host, StringComparison.OrdinalIgnoreCase),
            HostKind.Subdomain => host.EndsWith(Name, StringComparison.OrdinalIgnoreCase),
            HostKind.Network => IPAddress.TryParse(host, out var address) && InNetwork(address),
            _ => false, // self matches only requests without a host, which never reach here
        };

        private bool InNetwork(IPAddress address)
        {
            if (address.IsIPv4MappedToIPv6 && Network!.AddressFamily == AddressFamily.InterNetwork)
            {
                address = address.MapToIPv4();
            }

            if (address.AddressFamily != Network!.AddressFamily)
            {
                return false;
            }

            var candidate = address.GetAddressBytes();
            var network = Network.GetAddressBytes();
            var bits = Prefix;
            for (var i = 0; i < candidate.Length && bits > 0; i++, bits -= 8)
            {
                var mask = bits >= 8 ? 0xFF : (byte)(0xFF << (8 - bits));
                if ((candidate[i] & mask) != (network[i] & mask))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private sealed record PortPattern(bool Any, int Start, int End)
    {
        public bool Allows(int? port) => Any || (port is { } p && p >= Start && p < End);
    }

    private sealed record Rule(string? Scheme, HostPattern Host, PortPattern Port)
    {
        public bool Allows(string scheme, string host, int? port) =>
            (Scheme is null || string.Equals(Scheme, scheme, StringComparison.OrdinalIgnoreCase)) && Host.Allows(host) && Port.Allows(port);
    }
}
