using Spindle.Core;

namespace Spindle.Configuration;

/// <summary>The stores an application runs with, built by <see cref="StoreConfiguration.Build"/>.</summary>
public sealed class ConfiguredStores : IDisposable
{
    private readonly IReadOnlyDictionary<string, StoreLocation> _locations;

    internal ConfiguredStores(StoreRegistry registry, string? stateDirectory, IReadOnlyDictionary<string, StoreLocation> locations)
    {
        Registry = registry;
        StateDirectory = stateDirectory;
        _locations = locations;
    }

    /// <summary>Every configured label, plus <c>default</c>.</summary>
    public StoreRegistry Registry { get; }

    /// <summary>The resolved state folder, or <see langword="null"/> when running without one.</summary>
    public string? StateDirectory { get; }

    /// <summary>
    /// Where the <c>default</c> store keeps its data, worded to follow "Storing default key-value data to ": a quoted
    /// file path or <c>a temporary in-memory store</c>, also when the runtime config replaces the default store.
    /// </summary>
    public string DefaultStoreDescription => _locations[StoreLabel.Default].Description;

    /// <summary>Where the store labelled <paramref name="label"/> keeps its data.</summary>
    /// <exception cref="KeyNotFoundException">No store has that label.</exception>
    public StoreLocation Location(string label) => _locations[label];

    /// <summary>Closes every store.</summary>
    public void Dispose() => Registry.Dispose();
}
