using System.Text;
using Tomlyn.Model;

namespace Spindle.Configuration;

/// <summary>
/// The application variables a manifest declares (<c>[variables]</c>), and Spin's <c>{{ name }}</c> templates over
/// them. Spindle resolves them where the manifest uses them (<c>allowed_outbound_hosts</c>); a value comes from the
/// caller (<c>--variable</c>, <c>SPIN_VARIABLE_*</c>), else from the variable's <c>default</c>.
/// </summary>
internal sealed class AppVariables
{
    private readonly Dictionary<string, Declaration> _declared;
    private readonly Func<string, string?>? _values;
    private readonly string _path;

    private AppVariables(Dictionary<string, Declaration> declared, Func<string, string?>? values, string path)
    {
        _declared = declared;
        _values = values;
        _path = path;
    }

    /// <summary>Whether a variable without a value is an error (values were given) or leaves what uses it out.</summary>
    public bool Strict => _values is not null;

    /// <summary>Reads <c>[variables]</c>: each entry <c>name = { default = "...", required = true, secret = true, description = "..." }</c>.</summary>
    public static AppVariables Read(TomlTable root, string path, Func<string, string?>? values)
    {
        var declared = new Dictionary<string, Declaration>(StringComparer.Ordinal);
        foreach (var (name, value) in TomlFile.OptionalTable(root, "variables", path, "variables") ?? [])
        {
            var keyPath = $"variables.{name}";
            if (NameProblem(name) is { } problem)
            {
                throw new ConfigurationException(path, keyPath, $"'{name}' is not a valid variable name: {problem}; use lowercase letters, digits and single underscores, starting with a letter (for example \"api_host\")");
            }

            if (value is not TomlTable table)
            {
                throw new ConfigurationException(path, keyPath, $"must be a table such as {{ default = \"...\" }} or {{ required = true }}, not {TomlFile.Describe(value)}");
            }

            var defaultValue = TomlFile.OptionalString(table, "default", path, $"{keyPath}.default");
            var required = OptionalBool(table, "required", path, $"{keyPath}.required");
            OptionalBool(table, "secret", path, $"{keyPath}.secret");
            TomlFile.OptionalString(table, "description", path, $"{keyPath}.description");
            if (required && defaultValue is not null)
            {
                throw new ConfigurationException(path, keyPath, "has both a default and required = true; remove one (a required variable gets its value when the app starts)");
            }

            declared[name] = new Declaration(defaultValue);
        }

        return new AppVariables(declared, values, path);
    }

    /// <summary>The environment variable Spin reads a variable's value from: <c>SPIN_VARIABLE_</c> and the name in capitals.</summary>
    public static string EnvironmentName(string name) => "SPIN_VARIABLE_" + name.ToUpperInvariant();

    /// <summary>
    /// Replaces each <c>{{ name }}</c> in <paramref name="template"/> with the variable's value. Returns
    /// <see langword="null"/> when a variable has no value and no values were given (see <see cref="Strict"/>).
    /// </summary>
    /// <exception cref="ConfigurationException">An unmatched <c>{{</c>, an undeclared variable, or (strict) a required variable without a value.</exception>
    public string? Resolve(string template, string keyPath)
    {
        var result = new StringBuilder();
        var rest = template.AsSpan();
        var complete = true;
        while (rest.Length > 0)
        {
            var open = rest.IndexOf("{{", StringComparison.Ordinal);
            if (open < 0)
            {
                result.Append(rest);
                break;
            }

            result.Append(rest[..open]);
            rest = rest[(open + 2)..];
            var close = rest.IndexOf("}}", StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ConfigurationException(_path, keyPath, $"\"{template}\" has a '{{{{' without its '}}}}'; write a variable as {{{{ name }}}}");
            }

            var name = rest[..close].Trim().ToString();
            rest = rest[(close + 2)..];
            if (!_declared.TryGetValue(name, out var declaration))
            {
                throw new ConfigurationException(_path, keyPath, $"\"{template}\" uses variable '{name}', which is not declared; add it to [variables], for example {name} = {{ default = \"...\" }}");
            }

            var value = _values?.Invoke(name) ?? declaration.Default;
            if (value is null)
            {
                if (Strict)
                {
                    throw new ConfigurationException(_path, $"variables.{name}", $"is required and has no value; set {EnvironmentName(name)} or pass --variable {name}=<value>");
                }

                complete = false;
                continue;
            }

            result.Append(value);
        }

        return complete ? result.ToString() : null;
    }

    /// <summary>What is wrong with <paramref name="name"/> under Spin's rule for variable names (so that every name maps onto an environment variable), or <see langword="null"/>.</summary>
    public static string? NameProblem(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        if (!char.IsAsciiLetterLower(name[0]))
        {
            return "it must start with a lowercase letter";
        }

        if (name.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')))
        {
            return "it may hold only lowercase letters, digits and underscores";
        }

        if (name[^1] == '_')
        {
            return "it must not end with an underscore";
        }

        return name.Contains("__", StringComparison.Ordinal) ? "it must not hold two underscores in a row" : null;
    }

    private static bool OptionalBool(TomlTable table, string key, string path, string keyPath) =>
        !table.TryGetValue(key, out var value) ? false : value as bool? ?? throw new ConfigurationException(path, keyPath, $"must be true or false, not {TomlFile.Describe(value)}");

    private sealed record Declaration(string? Default);
}
