using Spindle.Core;

namespace Spindle.Configuration;

/// <summary>Everything that decides which stores an application gets: the same for <c>spindle up</c> and <c>spindle kv</c>.</summary>
public sealed record StoreSetup
{
    /// <summary>The backends available, by runtime-config <c>type</c>. One of them must serve <c>spin</c>.</summary>
    public required IReadOnlyList<IKeyValueStoreProvider> Providers { get; init; }

    /// <summary>The runtime config, or <see cref="RuntimeConfig.Empty"/>.</summary>
    public RuntimeConfig RuntimeConfig { get; init; } = RuntimeConfig.Empty;

    /// <summary>
    /// <c>--state-dir</c>: <see langword="null"/> when not given, empty to run without a state folder (in-memory
    /// default store). Relative to the current folder.
    /// </summary>
    public string? StateDirFlag { get; init; }

    /// <summary>The application's folder (where <c>spin.toml</c> is); its <c>.spin/</c> is the default state folder.</summary>
    public string? AppDirectory { get; init; }

    /// <summary>Size limits for every store.</summary>
    public KeyValueLimits Limits { get; init; } = KeyValueLimits.Default;
}
