using Spindle.Components;
using Spindle.Core;
using Spindle.Host.Abi;

namespace Spindle.Host.Components;

/// <summary>
/// The key-value interfaces a component may import, over the same stores as core modules: <c>fermyon:spin/key-value</c>
/// (unversioned, u32 handles, the core ABI's semantics), <c>fermyon:spin/key-value@2.0.0</c> (resource <c>store</c>)
/// and <c>wasi:keyvalue</c> <c>store</c>, <c>atomics</c> and <c>batch</c> @0.2.0-draft2. Expected failures come back as
/// each interface's error value; the full cause of an <c>io</c>/<c>other</c> error goes to the log.
/// </summary>
internal static class KeyValueInterfaces
{
    private static readonly ValType Key = ValType.String;
    private static readonly ValType Bytes = ValType.Bytes;
    private static readonly ValType Strings = ValType.List(ValType.String);

    // Both published texts of wasi:keyvalue draft2 batch.get-many, under one version string (spec/interfaces.md).
    private static readonly ValType SpinGetMany = ValType.List(ValType.Tuple(ValType.String, ValType.Option(ValType.Bytes)));
    private static readonly ValType UpstreamGetMany = ValType.List(ValType.Option(ValType.Tuple(ValType.String, ValType.Bytes)));

    public static IEnumerable<HostInterface> Define()
    {
        yield return SpinUnversioned();
        yield return Spin2();
        var (store, bucket, error) = WasiStore();
        yield return store;
        yield return WasiAtomics(bucket, error);
        yield return WasiBatch(bucket, error);
    }

    private static HostInterface SpinUnversioned()
    {
        var error = ValType.Variant(
            ("store-table-full", null), ("no-such-store", null), ("access-denied", null), ("invalid-store", null), ("no-such-key", null), ("io", ValType.String));
        var kv = new HostInterface("fermyon:spin/key-value");
        var handle = ValType.U32;
        Variant Fail(ComponentState state, KeyValueException ex)
        {
            var tag = WitErrors.ToV1Tag(ex.Kind);
            return Variant.Err(tag == WitErrors.V1Io ? new Variant(tag, LogIo(state, ex)) : new Variant(tag, null));
        }

        kv.DefineFunction("open", Func(ValType.Result(handle, error), ("name", Key)), (i, a) =>
            Run(i, Fail, s => Variant.Ok(s.Handles.Open((string)a[0]!))));
        kv.DefineFunction("get", Func(ValType.Result(Bytes, error), ("store", handle), ("key", Key)), (i, a) =>
            Run(i, Fail, s => s.Handles.Get((uint)a[0]!).Get((string)a[1]!) is { } value
                ? Variant.Ok(value)
                : Variant.Err(new Variant(WitErrors.ToV1Tag(KeyValueErrorKind.NoSuchKey), null))));
        kv.DefineFunction("set", Func(ValType.Result(null, error), ("store", handle), ("key", Key), ("value", Bytes)), (i, a) =>
            Run(i, Fail, s => Unit(() => s.Handles.Get((uint)a[0]!).Set((string)a[1]!, (byte[])a[2]!))));
        kv.DefineFunction("delete", Func(ValType.Result(null, error), ("store", handle), ("key", Key)), (i, a) =>
            Run(i, Fail, s => Unit(() => s.Handles.Get((uint)a[0]!).Delete((string)a[1]!))));
        kv.DefineFunction("exists", Func(ValType.Result(ValType.Bool, error), ("store", handle), ("key", Key)), (i, a) =>
            Run(i, Fail, s => Variant.Ok(s.Handles.Get((uint)a[0]!).Exists((string)a[1]!))));
        kv.DefineFunction("get-keys", Func(ValType.Result(Strings, error), ("store", handle)), (i, a) =>
            Run(i, Fail, s => Variant.Ok(AllKeys(s, s.Handles.Get((uint)a[0]!)))));
        kv.DefineFunction("close", Func(null, ("store", handle)), (i, a) =>
        {
            ComponentState.Of(i).Handles.Close((uint)a[0]!);
            return null;
        });
        return kv;
    }

    private static HostInterface Spin2()
    {
        var error = ValType.Variant(("store-table-full", null), ("no-such-store", null), ("access-denied", null), ("other", ValType.String));
        var kv = new HostInterface("fermyon:spin/key-value@2.0.0");
        var storeType = kv.DefineResource("store");
        var self = ("self", (ValType)ValType.Borrow(storeType));
        Variant Fail(ComponentState state, KeyValueException ex) => Variant.Err(ex.Kind switch
        {
            KeyValueErrorKind.StoreTableFull => new Variant(0, null),
            KeyValueErrorKind.NoSuchStore => new Variant(1, null),
            KeyValueErrorKind.AccessDenied => new Variant(2, null),
            _ => new Variant(3, LogIo(state, ex)),
        });

        kv.DefineFunction("[static]store.open", Func(ValType.Result(ValType.Own(storeType), error), ("label", Key)), (i, a) =>
            Run(i, Fail, s => Variant.Ok(s.OpenResource((string)a[0]!))));
        DefineBucketLike(kv, "store", self, error, Fail);
        kv.DefineFunction("[method]store.get-keys", Func(ValType.Result(Strings, error), self), (i, a) =>
            Run(i, Fail, s => Variant.Ok(AllKeys(s, ((OpenStore)a[0]!).Store))));
        return kv;
    }

    private static (HostInterface Store, ResourceType Bucket, VariantType Error) WasiStore()
    {
        var error = ValType.Variant(("no-such-store", null), ("access-denied", null), ("other", ValType.String));
        var kv = new HostInterface("wasi:keyvalue/store@0.2.0-draft2");
        var bucket = kv.DefineResource("bucket");
        var self = ("self", (ValType)ValType.Borrow(bucket));
        var keyResponse = ValType.Record(("keys", Strings), ("cursor", ValType.Option(ValType.String)));
        kv.DefineFunction("open", Func(ValType.Result(ValType.Own(bucket), error), ("identifier", Key)), (i, a) =>
            Run(i, WasiFail, s => Variant.Ok(s.OpenResource((string)a[0]!))));
        DefineBucketLike(kv, "bucket", self, error, WasiFail);
        kv.DefineFunction("[method]bucket.list-keys", Func(ValType.Result(keyResponse, error), self, ("cursor", ValType.Option(ValType.String))), (i, a) =>
            Run(i, WasiFail, s =>
            {
                var cursor = (Variant)a[1]!;
                var page = ((OpenStore)a[0]!).Store.ListKeys(cursor: cursor.Case == 1 ? (string)cursor.Payload! : null, limit: s.Options.KeysPerPage);
                return Variant.Ok(new object?[] { page.Keys.ToArray(), page.Cursor is null ? Variant.None : Variant.Some(page.Cursor) });
            }));
        return (kv, bucket, error);
    }

    private static HostInterface WasiAtomics(ResourceType bucket, VariantType error)
    {
        var kv = new HostInterface("wasi:keyvalue/atomics@0.2.0-draft2");
        kv.AddResource("bucket", bucket);
        var cas = kv.DefineResource("cas");
        var casError = ValType.Variant(("store-error", error), ("cas-failed", ValType.Own(cas)));
        kv.DefineFunction("increment", Func(ValType.Result(ValType.S64, error), ("bucket", ValType.Borrow(bucket)), ("key", Key), ("delta", ValType.S64)), (i, a) =>
            Run(i, WasiFail, s => Variant.Ok(((OpenStore)a[0]!).Store.Increment((string)a[1]!, (long)a[2]!))));
        kv.DefineFunction("[static]cas.new", Func(ValType.Result(ValType.Own(cas), error), ("bucket", ValType.Borrow(bucket)), ("key", Key)), (i, a) =>
            Run(i, WasiFail, s =>
            {
                var store = ((OpenStore)a[0]!).Store;
                var key = (string)a[1]!;
                return Variant.Ok(new CasHandle(store, key, store.GetVersioned(key)));
            }));
        kv.DefineFunction("[method]cas.current", Func(ValType.Result(ValType.Option(Bytes), error), ("self", ValType.Borrow(cas))), (i, a) =>
            Run(i, WasiFail, _ => Variant.Ok(((CasHandle)a[0]!).Seen.Value is { } value ? Variant.Some(value) : Variant.None)));
        kv.DefineFunction("swap", Func(ValType.Result(null, casError), ("cas", ValType.Own(cas)), ("value", Bytes)), (i, a) =>
        {
            var handle = (CasHandle)a[0]!;
            var state = ComponentState.Of(i);
            try
            {
                if (handle.Store.TrySwap(handle.Key, handle.Seen.Version, (byte[])a[1]!))
                {
                    return Variant.OkUnit;
                }

                // The handle comes back with what the key holds now, so current() shows the guest what it raced with.
                handle.Seen = handle.Store.GetVersioned(handle.Key);
                return Variant.Err(new Variant(1, handle));
            }
            catch (KeyValueException ex)
            {
                return Variant.Err(new Variant(0, ((Variant)WasiFail(state, ex)).Payload));
            }
        });
        return kv;
    }

    private static HostInterface WasiBatch(ResourceType bucket, VariantType error)
    {
        var kv = new HostInterface("wasi:keyvalue/batch@0.2.0-draft2");
        kv.AddResource("bucket", bucket);
        var bucketParameter = ("bucket", (ValType)ValType.Borrow(bucket));
        kv.DefineFunction("set-many", Func(ValType.Result(null, error), bucketParameter, ("key-values", ValType.List(ValType.Tuple(Key, Bytes)))), (i, a) =>
            Run(i, WasiFail, _ => Unit(() => ((OpenStore)a[0]!).Store.SetMany(
                [.. ((object?[])a[1]!).Select(p => (object?[])p!).Select(p => new KeyValuePair<string, byte[]>((string)p[0]!, (byte[])p[1]!))]))));
        kv.DefineFunction("delete-many", Func(ValType.Result(null, error), bucketParameter, ("keys", Strings)), (i, a) =>
            Run(i, WasiFail, _ => Unit(() => ((OpenStore)a[0]!).Store.DeleteMany([.. ((object?[])a[1]!).Cast<string>()]))));

        // get-many is served in whichever of the two published shapes the guest imports.
        var spinType = Func(ValType.Result(SpinGetMany, error), bucketParameter, ("keys", Strings));
        var upstreamType = Func(ValType.Result(UpstreamGetMany, error), bucketParameter, ("keys", Strings));
        kv.DefineFallback((name, imported) =>
        {
            if (name != "get-many")
            {
                return null;
            }

            var upstream = FunctionType.Same(imported, upstreamType);
            if (!upstream && !FunctionType.Same(imported, spinType))
            {
                throw new ComponentLoadException($"import wasi:keyvalue/batch@0.2.0-draft2 function get-many: the component expects {imported}, the host defines {spinType} (Spin's text) or {upstreamType} (upstream's)");
            }

            return (i, a) => Run(i, WasiFail, _ =>
            {
                var found = ((OpenStore)a[0]!).Store.GetMany([.. ((object?[])a[1]!).Cast<string>()]);
                var items = new object?[found.Count];
                for (var k = 0; k < items.Length; k++)
                {
                    var (key, value) = (found[k].Key, found[k].Value);
                    items[k] = upstream
                        ? (value is null ? Variant.None : Variant.Some(new object?[] { key, value }))
                        : new object?[] { key, value is null ? Variant.None : Variant.Some(value) };
                }

                return Variant.Ok(items);
            });
        });
        return kv;
    }

    // get, set, delete, exists: the same for a @2.0.0 store and a wasi:keyvalue bucket.
    private static void DefineBucketLike(HostInterface kv, string resource, (string, ValType) self, VariantType error, Func<ComponentState, KeyValueException, Variant> fail)
    {
        kv.DefineFunction($"[method]{resource}.get", Func(ValType.Result(ValType.Option(Bytes), error), self, ("key", Key)), (i, a) =>
            Run(i, fail, _ => Variant.Ok(((OpenStore)a[0]!).Store.Get((string)a[1]!) is { } value ? Variant.Some(value) : Variant.None)));
        kv.DefineFunction($"[method]{resource}.set", Func(ValType.Result(null, error), self, ("key", Key), ("value", Bytes)), (i, a) =>
            Run(i, fail, _ => Unit(() => ((OpenStore)a[0]!).Store.Set((string)a[1]!, (byte[])a[2]!))));
        kv.DefineFunction($"[method]{resource}.delete", Func(ValType.Result(null, error), self, ("key", Key)), (i, a) =>
            Run(i, fail, _ => Unit(() => ((OpenStore)a[0]!).Store.Delete((string)a[1]!))));
        kv.DefineFunction($"[method]{resource}.exists", Func(ValType.Result(ValType.Bool, error), self, ("key", Key)), (i, a) =>
            Run(i, fail, _ => Variant.Ok(((OpenStore)a[0]!).Store.Exists((string)a[1]!))));
    }

    private static Variant WasiFail(ComponentState state, KeyValueException ex) => Variant.Err(ex.Kind switch
    {
        KeyValueErrorKind.NoSuchStore => new Variant(0, null),
        KeyValueErrorKind.AccessDenied => new Variant(1, null),
        _ => new Variant(2, LogIo(state, ex)),
    });

    // Expected failures become the interface's error value; anything else propagates and traps this instance only.
    private static object Run(ComponentInstance instance, Func<ComponentState, KeyValueException, Variant> fail, Func<ComponentState, object> body)
    {
        var state = ComponentState.Of(instance);
        try
        {
            return body(state);
        }
        catch (KeyValueException ex)
        {
            return fail(state, ex);
        }
    }

    private static Variant Unit(Action action)
    {
        action();
        return Variant.OkUnit;
    }

    private static string LogIo(ComponentState state, KeyValueException ex)
    {
        Log.KeyValueIoError(state.Logger, ex, state.ComponentId, ex.Message);
        return ex.Message;
    }

    private static object?[] AllKeys(ComponentState state, IKeyValueStore store)
    {
        var keys = new List<object?>();
        long total = 0;
        string? cursor = null;
        do
        {
            var page = store.ListKeys(cursor: cursor);
            foreach (var key in page.Keys)
            {
                total += (key.Length * 3L) + 8;
                if (total > state.Options.MaxHostBufferedBytes)
                {
                    throw new KeyValueException(
                        KeyValueErrorKind.Io,
                        $"get-keys result exceeds the host buffer limit of {state.Options.MaxHostBufferedBytes} bytes; use fewer or shorter keys");
                }

                keys.Add(key);
            }

            cursor = page.Cursor;
        }
        while (cursor is not null);
        return [.. keys];
    }

    private static FunctionType Func(ValType? result, params (string Name, ValType Type)[] parameters) =>
        new([.. parameters.Select(p => new Field(p.Name, p.Type))], result);
}
