namespace Spindle.Host.Abi;

/// <summary>
/// Spin 1.x's <c>spin-config</c> import for core modules: <c>get-config(key_ptr, key_len, ret_ptr)</c> answers the
/// component's variable <c>key</c> (<c>[component.config]</c>, or <c>[component.&lt;id&gt;.variables]</c>) as
/// <c>expected&lt;string, error&gt;</c> in a 16-byte result at <c>ret_ptr</c>: +0 u8 0 ok / 1 err; ok: the string's
/// pointer and length at +4 and +8 (allocated with the guest's <c>canonical_abi_realloc</c>); err: the case at +4
/// (0 provider, 1 invalid-key, 2 invalid-schema, 3 other) and its message at +8 and +12.
/// </summary>
internal static class SpinConfigImports
{
    public const string ModuleName = "spin-config";

    private const int ResultSize = 16;
    private const byte InvalidKey = 1;
    private const byte Other = 3;

    public static void Define(Wasmtime.Linker linker) =>
        linker.DefineFunction(ModuleName, "get-config", (int keyPtr, int keyLen, int retPtr) =>
        {
            var ctx = GuestContext.Current;
            var memory = ctx.Memory;
            memory.Refresh();
            memory.Writable(retPtr, ResultSize);
            var key = memory.ReadString(keyPtr, keyLen);
            if (VariableNames.Problem(key) is { } problem)
            {
                WriteError(memory, retPtr, InvalidKey, problem);
            }
            else if (ctx.Variables.TryGetValue(key, out var value))
            {
                var pointer = memory.AllocateString(value, out var length);
                memory.WriteInt32(retPtr + 4, pointer);
                memory.WriteInt32(retPtr + 8, length);
                memory.WriteByte(retPtr, 0);
            }
            else
            {
                WriteError(memory, retPtr, Other, $"component '{ctx.ComponentId}' has no variable '{key}'; add it to the component's config (or variables) table in spin.toml");
            }
        });

    private static void WriteError(GuestMemory memory, int retPtr, byte errorCase, string message)
    {
        var pointer = memory.AllocateString(message, out var length);
        memory.WriteInt32(retPtr + 8, pointer);
        memory.WriteInt32(retPtr + 12, length);
        memory.WriteByte(retPtr + 4, errorCase);
        memory.WriteByte(retPtr, 1);
    }
}
