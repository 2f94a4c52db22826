using Spindle.Components;

namespace Spindle.Host.Components;

/// <summary>
/// The interfaces a component reads its variables with: Spin's <c>fermyon:spin/variables@2.0.0</c> (<c>get</c>, with
/// Spin's error cases) and <c>wasi:config/store@0.2.0-draft-2024-09-27</c> (<c>get</c> answering none for a name the
/// component has no variable for, and <c>get-all</c>). The values are the component's variables from its manifest
/// entry, resolved when the app started (<see cref="ComponentState.Variables"/>).
/// </summary>
internal static class VariablesInterfaces
{
    public static IEnumerable<HostInterface> Define()
    {
        yield return Spin();
        yield return WasiConfig();
    }

    private static HostInterface Spin()
    {
        var error = ValType.Variant(("invalid-name", ValType.String), ("undefined", ValType.String), ("provider", ValType.String), ("other", ValType.String));
        var variables = new HostInterface("fermyon:spin/variables@2.0.0");
        variables.DefineFunction("get", new FunctionType([new Field("name", ValType.String)], ValType.Result(ValType.String, error)), (instance, arguments) =>
        {
            var state = ComponentState.Of(instance);
            var name = (string)arguments[0]!;
            if (VariableNames.Problem(name) is { } problem)
            {
                return Variant.Err(new Variant(0, problem));
            }

            return state.Variables.TryGetValue(name, out var value)
                ? Variant.Ok(value)
                : Variant.Err(new Variant(1, $"component '{state.ComponentId}' has no variable '{name}'; add it to [component.{state.ComponentId}.variables] in spin.toml"));
        });
        return variables;
    }

    private static HostInterface WasiConfig()
    {
        var error = ValType.Variant(("upstream", ValType.String), ("io", ValType.String));
        var store = new HostInterface("wasi:config/store@0.2.0-draft-2024-09-27");
        store.DefineFunction("get", new FunctionType([new Field("key", ValType.String)], ValType.Result(ValType.Option(ValType.String), error)), (instance, arguments) =>
            Variant.Ok(ComponentState.Of(instance).Variables.TryGetValue((string)arguments[0]!, out var value) ? Variant.Some(value) : Variant.None));
        store.DefineFunction("get-all", new FunctionType([], ValType.Result(ValType.List(ValType.Tuple(ValType.String, ValType.String)), error)), (instance, _) =>
            Variant.Ok(ComponentState.Of(instance).Variables
                .OrderBy(entry => entry.Key, StringComparer.Ordinal)
                .Select(entry => (object?)new object?[] { entry.Key, entry.Value })
                .ToArray()));
        return store;
    }
}
