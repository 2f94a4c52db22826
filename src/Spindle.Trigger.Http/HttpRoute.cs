using Spindle.Host;

namespace Spindle.Trigger.Http;

/// <summary>One HTTP route: an exact path (<c>/hello</c>) or a prefix ending in <c>/...</c> (<c>/api/...</c>, <c>/...</c>).</summary>
public sealed class HttpRoute
{
    private const string WildcardSuffix = "/...";

    /// <summary>Creates a route for <paramref name="component"/>.</summary>
    /// <exception cref="ArgumentException">The pattern does not start with '/'.</exception>
    public HttpRoute(string pattern, GuestComponent component)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(component);
        if (!pattern.StartsWith('/'))
        {
            throw new ArgumentException($"route '{pattern}' must start with '/'", nameof(pattern));
        }

        Pattern = pattern;
        Component = component;
        IsWildcard = pattern.EndsWith(WildcardSuffix, StringComparison.Ordinal);
        var basePath = IsWildcard ? pattern[..^WildcardSuffix.Length] : pattern;
        BasePath = basePath.Length > 1 ? basePath.TrimEnd('/') : basePath;
    }

    /// <summary>The route as written in the manifest.</summary>
    public string Pattern { get; }

    /// <summary>The component serving it.</summary>
    public GuestComponent Component { get; }

    /// <summary>Whether the route matches everything below <see cref="BasePath"/>.</summary>
    public bool IsWildcard { get; }

    /// <summary>The route without its <c>/...</c> suffix: Spin's <c>spin-component-route</c> (empty for <c>/...</c>).</summary>
    public string BasePath { get; }

    /// <summary>Whether <paramref name="path"/> (undecoded, no query) is served by this route.</summary>
    public bool Matches(string path)
    {
        if (!IsWildcard)
        {
            return string.Equals(path, Pattern, StringComparison.Ordinal);
        }

        if (BasePath.Length == 0)
        {
            return true;
        }

        return path.StartsWith(BasePath, StringComparison.Ordinal)
            && (path.Length == BasePath.Length || path[BasePath.Length] == '/');
    }

    /// <summary>What follows the base path: Spin's <c>spin-path-info</c> (empty for an exact route).</summary>
    public string PathInfo(string path) => IsWildcard ? path[BasePath.Length..] : string.Empty;
}
