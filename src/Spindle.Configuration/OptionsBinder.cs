using System.Reflection;
using System.Text;

namespace Spindle.Configuration;

/// <summary>
/// Builds a provider's options record from a store table: each constructor parameter is a TOML key in snake_case, a
/// parameter with a default value is optional, and keys the record does not have are errors (a misspelt
/// <c>path</c> must not silently turn a file store into a memory store).
/// </summary>
internal static class OptionsBinder
{
    public static object Bind(Type optionsType, StoreDefinition store)
    {
        var keyPath = $"key_value_store.{store.Label}";
        var constructor = optionsType.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .OrderByDescending(c => c.GetParameters().Length)
            .First();
        var parameters = constructor.GetParameters();
        var known = parameters.Select(p => SnakeCase(p.Name!)).ToArray();
        foreach (var key in store.Options.Keys)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                var hint = known.Length == 0
                    ? $"type \"{store.Type}\" takes no options"
                    : $"type \"{store.Type}\" takes: {string.Join(", ", known)}";
                throw new ConfigurationException(store.FilePath, $"{keyPath}.{key}", $"unknown option; remove it or check its spelling ({hint})");
            }
        }

        var arguments = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var key = known[i];
            if (!store.Options.TryGetValue(key, out var value))
            {
                if (!parameter.HasDefaultValue)
                {
                    throw new ConfigurationException(store.FilePath, $"{keyPath}.{key}", $"is required for type \"{store.Type}\"; add {key} = ...");
                }

                arguments[i] = parameter.DefaultValue;
                continue;
            }

            arguments[i] = Convert(value, parameter.ParameterType, store.FilePath, $"{keyPath}.{key}");
        }

        try
        {
            return constructor.Invoke(arguments);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is ArgumentException argument)
        {
            // Options records validate combinations in their constructors (for example access_key without secret_key).
            throw new ConfigurationException(store.FilePath, keyPath, argument.Message, argument);
        }
    }

    public static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static object? Convert(object? value, Type target, string? filePath, string keyPath)
    {
        var type = Nullable.GetUnderlyingType(target) ?? target;
        return type switch
        {
            _ when type == typeof(string) => value as string ?? throw Mismatch("a string"),
            _ when type == typeof(bool) => value as bool? ?? throw Mismatch("true or false"),
            _ when type == typeof(long) => value as long? ?? throw Mismatch("an integer"),
            _ when type == typeof(int) => value is long l && l is >= int.MinValue and <= int.MaxValue ? (int)l : throw Mismatch("an integer"),
            _ => throw new InvalidOperationException($"options type has an unsupported parameter type {target}"),
        };

        ConfigurationException Mismatch(string expected) =>
            new(filePath, keyPath, $"must be {expected}, not {TomlFile.Describe(value)}");
    }
}
