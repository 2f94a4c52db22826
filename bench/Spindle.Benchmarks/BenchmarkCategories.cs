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

    /// <summary>64 concurrent writers of 100 B values (issue #10): Spindle's group commit against Spin's design.</summary>
    public const string ConcurrentWrite = "ConcurrentWrite";

    /// <summary>A component's <c>get</c> of 100 B through <c>fermyon:spin/key-value@2.0.0</c> against the core ABI.</summary>
    public const string ComponentRead = "ComponentRead";

    /// <summary>The same for a 1 MiB value.</summary>
    public const string ComponentReadBig = "ComponentReadBig";

    /// <summary>A fresh instance per request: core module, C component, 12 MB JavaScript component.</summary>
    public const string Instantiate = "Instantiate";
}
