using System.Globalization;
using Spindle.Core;
using StackExchange.Redis;

namespace Spindle.Redis;

/// <summary>A parsed <c>url</c> option: what to connect to, and how to name it without its password.</summary>
internal sealed record RedisEndpoint(string Host, int Port, int Database, string? User, string? Password, bool Tls)
{
    private const string Usage = "use redis://[user:password@]host[:port][/db] or rediss://...";

    /// <summary>For messages: <c>the Redis server at redis://host:port/db</c>, never the password.</summary>
    public string Description =>
        $"the Redis server at {(Tls ? "rediss" : "redis")}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}/{Database}";

    /// <exception cref="KeyValueException">The URL is not a Redis URL (kind <see cref="KeyValueErrorKind.Io"/>).</exception>
    public static RedisEndpoint Parse(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw Invalid("url is empty");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "redis" && uri.Scheme != "rediss"))
        {
            // No echo of the value: it may hold a password.
            throw Invalid("url is not a redis:// or rediss:// URL");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid("url has no host");
        }

        var database = 0;
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15_000))
        {
            throw Invalid("url's path must be a database number such as /0");
        }

        string? user = null;
        string? password = null;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = parts[0].Length > 0 ? Uri.UnescapeDataString(parts[0]) : null;
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
        }

        var port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        return new RedisEndpoint(uri.Host.Trim('[', ']'), port, database, user, password, uri.Scheme == "rediss");
    }

    /// <summary>The client configuration; nothing connects yet.</summary>
    public ConfigurationOptions ToConfiguration(TimeSpan timeout)
    {
        var milliseconds = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);
        var configuration = new ConfigurationOptions
        {
            User = User,
            Password = Password,
            Ssl = Tls,
            DefaultDatabase = Database,

            // Reconnect in the background after an outage instead of failing for good.
            AbortOnConnectFail = false,
            ConnectTimeout = milliseconds,
            SyncTimeout = milliseconds,
            AsyncTimeout = milliseconds,
            ConnectRetry = 1,
        };
        configuration.EndPoints.Add(Host, Port);
        return configuration;
    }

    public override string ToString() => Description;

    private static KeyValueException Invalid(string problem) => new(KeyValueErrorKind.Io, $"{problem}: {Usage}");
}
