using Spindle.Core;

namespace Spindle.Configuration;

/// <summary>The stores an application runs with, built by <see cref="StoreConfiguration.Build"/>.</summary>
public sealed class ConfiguredStores : IDisposable
{
    internal ConfiguredStores(StoreRegistry registry, string? stateDirectory, string defaultStoreDescription)
    {
        Registry = registry;
        StateDirectory = stateDirectory;
        DefaultStoreDescription = defaultStoreDescription;
    }

    /// <summary>Every configured label, plus <c>default</c>.</summary>
    public StoreRegistry Registry { get; }

    /// <summary>The resolved state folder, or <see langword="null"/> when running without one.</summary>
    public string? StateDirectory { get; }

    /// <summary>
    /// Where the <c>default</c> store keeps its data, worded to follow "Storing default key-value data to ": a quoted
    /// file path, <c>a temporary in-memory store</c>, or the runtime-config entry that replaces it.
    /// </summary>
    public string DefaultStoreDescription { get; }

    /// <summary>Closes every store.</summary>
    public void Dispose() => Registry.Dispose();
}
