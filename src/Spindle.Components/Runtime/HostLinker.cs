using Spindle.Components.Binary;
using Wasmtime;

namespace Spindle.Components.Runtime;

/// <summary>
/// The core functions a component's instances import from the host (<c>canon lower</c> and the resource built-ins),
/// defined once per component in a Wasmtime <see cref="Linker"/>. An instance then takes each one into its store with
/// <see cref="Linker.GetFunction"/> instead of creating it with <see cref="Function.FromCallback(Store, Function.UntypedCallbackDelegate, IReadOnlyList{ValueKind}, IReadOnlyList{ValueKind})"/>,
/// which builds and registers its signature with the engine every time: for a JavaScript component's ~100 imports that
/// was a large part of each instance's cost. The callbacks find their <see cref="ComponentInstance"/> as the data of
/// the store they run in, so a store bound this way holds one component instance.
/// </summary>
internal sealed class HostLinker : IDisposable
{
    private const string Module = "spindle:host";

    private readonly Linker _linker;

    public HostLinker(Engine engine, ComponentPlan plan)
    {
        _linker = new Linker(engine);
        foreach (var step in plan.Steps)
        {
            switch (step)
            {
                case LowerHostStep lower:
                    var function = lower.Function;
                    _linker.DefineFunction(
                        Module,
                        Name(step.Slot),
                        (caller, arguments, results) => Instance(caller).CallHost(function, arguments, results),
                        function.CoreParameterKinds,
                        function.CoreResultKinds);
                    break;
                case ResourceStep resource:
                    DefineResourceBuiltin(step.Slot, resource);
                    break;
            }
        }
    }

    /// <summary>The function for the plan step at <paramref name="slot"/>, in <paramref name="store"/>.</summary>
    public Function Get(Store store, int slot) =>
        _linker.GetFunction(store, Module, Name(slot)) ?? throw new InvalidOperationException($"the host linker has no function for slot {slot}");

    public void Dispose() => _linker.Dispose();

    private static string Name(int slot) => slot.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static ComponentInstance Instance(Caller caller) =>
        caller.GetData() as ComponentInstance ?? throw new InvalidOperationException("a host function ran in a store whose data is not its component instance");

    private void DefineResourceBuiltin(int slot, ResourceStep step)
    {
        var type = step.Type;
        ValueKind[] handle = [ValueKind.Int32];
        switch (step.Builtin)
        {
            case ResourceBuiltin.New:
                _linker.DefineFunction(Module, Name(slot), (caller, arguments, results) => results[0] = Instance(caller).NewHandle(type, arguments[0].AsInt32()), handle, handle);
                break;
            case ResourceBuiltin.Rep:
                _linker.DefineFunction(Module, Name(slot), (caller, arguments, results) => results[0] = Instance(caller).Representation(type, arguments[0].AsInt32()), handle, handle);
                break;
            default:
                _linker.DefineFunction(Module, Name(slot), (caller, arguments, results) => Instance(caller).Drop(type, arguments[0].AsInt32()), handle, []);
                break;
        }
    }
}
