using Spindle.Core;

namespace Spindle.Configuration;

/// <summary>Stands in for a Spin store type whose backend this build does not include (see SpinBackendOptions.cs).</summary>
internal sealed class UnavailableBackend(string type, Type optionsType) : IKeyValueStoreProvider
{
    public string Type => type;

    public Type OptionsType => optionsType;

    public IKeyValueStoreManager Create(object options, StoreProviderContext context) => new Manager(type);

    public StoreLocation Describe(object options, StoreProviderContext context) => new($"a \"{type}\" store (not served by this build)", IsTemporary: false);

    private sealed class Manager(string type) : IKeyValueStoreManager
    {
        public IKeyValueStore Open(string label) =>
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"store '{label}' has type \"{type}\", which this build of Spindle cannot serve yet; use type \"spin\" for it in the runtime config");
    }
}
