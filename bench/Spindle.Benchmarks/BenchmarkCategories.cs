namespace Spindle.Benchmarks;

/// <summary>Category names for <c>--anyCategories</c>.</summary>
internal static class BenchmarkCategories
{
    /// <summary>Point reads of an existing key.</summary>
    public const string Read = "Read";

    /// <summary>A guest's <c>get</c> through the core-module ABI against the same get called from .NET.</summary>
    public const string GuestRead = "GuestRead";

    /// <summary>Insert-or-replace of an existing key, each a durable commit.</summary>
    public const string Upsert = "Upsert";
}
