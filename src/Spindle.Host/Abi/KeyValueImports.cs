using Spindle.Core;
using Wasmtime;

namespace Spindle.Host.Abi;

/// <summary>
/// The <c>key-value</c> import module of Spin 1.x core modules, byte for byte: every function takes i32s and, but
/// <c>close</c>, writes a 16-byte result at <c>ret_ptr</c> (+0 u8 0 ok / 1 err; ok payload at +4; err tag at +4, io
/// message pointer and length at +8 and +12). See docs/abi-v1.md.
/// </summary>
internal static class KeyValueImports
{
    public const string ModuleName = "key-value";

    private const int ResultSize = 16;

    public static void Define(Linker linker)
    {
        linker.DefineFunction(ModuleName, "open", (int namePtr, int nameLen, int retPtr) =>
            Run(retPtr, (namePtr, nameLen), static (ctx, memory, args, retPtr) =>
            {
                var label = memory.ReadString(args.namePtr, args.nameLen);
                var handle = ctx.KeyValue.Open(label);
                memory.WriteInt32(retPtr + 4, (int)handle);
                return true;
            }));

        linker.DefineFunction(ModuleName, "get", (int store, int keyPtr, int keyLen, int retPtr) =>
            Run(retPtr, (store, keyPtr, keyLen), static (ctx, memory, args, retPtr) =>
            {
                var key = memory.ReadString(args.keyPtr, args.keyLen);
                var value = ctx.KeyValue.Get((uint)args.store).Get(key);
                if (value is null)
                {
                    // A missing key is an expected answer, not a failure: no exception on this hot path (issue #10).
                    WriteErrorTag(memory, retPtr, KeyValueErrorKind.NoSuchKey);
                    return false;
                }

                var pointer = memory.AllocateCopy(value);
                memory.WriteInt32(retPtr + 4, pointer);
                memory.WriteInt32(retPtr + 8, value.Length);
                return true;
            }));

        linker.DefineFunction(ModuleName, "set", (int store, int keyPtr, int keyLen, int valuePtr, int valueLen, int retPtr) =>
            Run(retPtr, (store, keyPtr, keyLen, valuePtr, valueLen), static (ctx, memory, args, _) =>
            {
                var key = memory.ReadString(args.keyPtr, args.keyLen);
                var value = memory.ReadBytes(args.valuePtr, args.valueLen);
                ctx.KeyValue.Get((uint)args.store).Set(key, value);
                return true;
            }));

        linker.DefineFunction(ModuleName, "delete", (int store, int keyPtr, int keyLen, int retPtr) =>
            Run(retPtr, (store, keyPtr, keyLen), static (ctx, memory, args, _) =>
            {
                var key = memory.ReadString(args.keyPtr, args.keyLen);
                ctx.KeyValue.Get((uint)args.store).Delete(key);
                return true;
            }));

        linker.DefineFunction(ModuleName, "exists", (int store, int keyPtr, int keyLen, int retPtr) =>
            Run(retPtr, (store, keyPtr, keyLen), static (ctx, memory, args, retPtr) =>
            {
                var key = memory.ReadString(args.keyPtr, args.keyLen);
                var exists = ctx.KeyValue.Get((uint)args.store).Exists(key);
                memory.WriteByte(retPtr + 4, exists ? (byte)1 : (byte)0);
                return true;
            }));

        linker.DefineFunction(ModuleName, "get-keys", (int store, int retPtr) =>
            Run(retPtr, store, static (ctx, memory, store, retPtr) =>
            {
                WriteKeys(ctx, memory, ctx.KeyValue.Get((uint)store), retPtr);
                return true;
            }));

        linker.DefineFunction(ModuleName, "close", (int store) => GuestContext.Current.KeyValue.Close((uint)store));
    }

    // Runs one import. The body returns true for success, or writes an expected answer that is an error variant
    // itself and returns false; failures thrown as KeyValueException become the error variant; ABI violations
    // (GuestAbiException) and host bugs propagate and trap this instance only.
    // The arguments travel as a value-type state so the per-call lambdas are static (no closure allocation).
    private static void Run<TArgs>(int retPtr, TArgs args, Func<GuestContext, GuestMemory, TArgs, int, bool> body)
    {
        var ctx = GuestContext.Current;
        var memory = ctx.Memory;
        memory.Refresh(); // the guest may have grown its memory since the last host call
        memory.Writable(retPtr, ResultSize); // a bad result pointer traps before any side effect
        try
        {
            // The result is written only after every input was read: a guest may pass a result area that overlaps
            // its key (KeyValueAbiFuzzTests found that writing the tag first changed the key read after it).
            if (body(ctx, memory, args, retPtr))
            {
                memory.WriteByte(retPtr, 0);
            }
        }
        catch (KeyValueException ex)
        {
            WriteError(ctx, memory, retPtr, ex);
        }
    }

    private static void WriteError(GuestContext ctx, GuestMemory memory, int retPtr, KeyValueException ex)
    {
        var tag = WitErrors.ToV1Tag(ex.Kind);
        if (tag == WitErrors.V1Io)
        {
            // The guest gets the short message; the log gets the whole cause.
            Log.KeyValueIoError(ctx.Logger, ex, ctx.ComponentId, ex.Message);
            var pointer = memory.AllocateString(ex.Message, out var length);
            memory.WriteInt32(retPtr + 8, pointer);
            memory.WriteInt32(retPtr + 12, length);
        }

        WriteErrorTag(memory, retPtr, ex.Kind);
    }

    private static void WriteErrorTag(GuestMemory memory, int retPtr, KeyValueErrorKind kind)
    {
        memory.WriteByte(retPtr, 1);
        memory.WriteByte(retPtr + 4, WitErrors.ToV1Tag(kind));
    }

    private static void WriteKeys(GuestContext ctx, GuestMemory memory, IKeyValueStore store, int retPtr)
    {
        var keys = new List<byte[]>();
        long total = 0;
        string? cursor = null;
        do
        {
            var page = store.ListKeys(cursor: cursor);
            foreach (var key in page.Keys)
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(key);
                total += bytes.Length + 8;
                if (total > ctx.Options.MaxHostBufferedBytes)
                {
                    throw new KeyValueException(
                        KeyValueErrorKind.Io,
                        $"get-keys result exceeds the host buffer limit of {ctx.Options.MaxHostBufferedBytes} bytes; use fewer or shorter keys");
                }

                keys.Add(bytes);
            }

            cursor = page.Cursor;
        }
        while (cursor is not null);

        // The pair array first, then one allocation per string, as Spin's bindings did.
        var array = memory.Allocate(keys.Count * 8, 4);
        for (var i = 0; i < keys.Count; i++)
        {
            var pointer = memory.AllocateCopy(keys[i]);
            memory.WriteInt32(array + (i * 8), pointer);
            memory.WriteInt32(array + (i * 8) + 4, keys[i].Length);
        }

        memory.WriteInt32(retPtr + 4, array);
        memory.WriteInt32(retPtr + 8, keys.Count);
    }
}
