namespace Spindle.Core;

/// <summary>One page of <see cref="IKeyValueStore.ListKeys"/>.</summary>
/// <param name="Keys">Keys in ascending UTF-8 byte order.</param>
/// <param name="Cursor">
/// Pass it back to get the next page; <see langword="null"/> when this is the last page. Cursors are opaque, stable
/// strings: a cursor stays valid after the store changes, and paging returns every key that existed for the whole walk
/// exactly once.
/// </param>
public sealed record KeyPage(IReadOnlyList<string> Keys, string? Cursor);
