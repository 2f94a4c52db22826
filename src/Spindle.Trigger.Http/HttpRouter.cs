namespace Spindle.Trigger.Http;

/// <summary>Picks the route for a path: the longest base path wins, and an exact route beats a wildcard of the same length.</summary>
internal sealed class HttpRouter(IReadOnlyList<HttpRoute> routes)
{
    private readonly HttpRoute[] _ordered = [.. routes
        .OrderByDescending(r => r.IsWildcard ? r.BasePath.Length : r.Pattern.Length)
        .ThenBy(r => r.IsWildcard ? 1 : 0)];

    public HttpRoute? Match(string path)
    {
        foreach (var route in _ordered)
        {
            if (route.Matches(path))
            {
                return route;
            }
        }

        return null;
    }
}
