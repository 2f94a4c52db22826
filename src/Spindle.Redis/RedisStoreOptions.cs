namespace Spindle.Redis;

/// <summary>Options of runtime-config type <c>redis</c>.</summary>
/// <param name="Url">
/// The server, as in Spin: <c>redis://[user:password@]host[:port][/db]</c>, or <c>rediss://</c> for TLS. The port
/// defaults to 6379 and the database to 0.
/// </param>
/// <param name="KeyPrefix">
/// A Spindle addition: text put in front of every key in Redis. Empty (the default) stores keys verbatim, as Spin
/// does, so a Spin app and a Spindle app configured with the same <paramref name="Url"/> share their keys. Give labels
/// that share one Redis database different prefixes to keep them apart.
/// </param>
/// <param name="Index">
/// A Spindle addition: keep a sorted-set index of the keys written through Spindle, updated in the same script as
/// each write, so listing pages come from the index in UTF-8 order instead of from a <c>SCAN</c> of the whole
/// database. Keys written by other clients (a Spin app) are not in the index. See docs/semantics.md.
/// </param>
/// <param name="TimeoutMs">
/// A Spindle addition: the longest a single call (or the first connect) may take when the request's deadline does not
/// end sooner, in milliseconds.
/// </param>
public sealed record RedisStoreOptions(string Url, string KeyPrefix = "", bool Index = false, int TimeoutMs = 5000);
