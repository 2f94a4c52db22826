namespace Spindle.Core;

/// <summary>
/// Why a key-value operation failed. Each value maps one-to-one onto a case of the WIT <c>error</c> variants
/// (v1 <c>key-value</c>, <c>fermyon:spin/key-value@2.0.0</c>, <c>wasi:keyvalue</c>); see docs/errors.md.
/// </summary>
public enum KeyValueErrorKind
{
    /// <summary>The per-instance handle table has no free slot (WIT <c>store-table-full</c>).</summary>
    StoreTableFull,

    /// <summary>The label is granted to the component but no configuration defines it (WIT <c>no-such-store</c>).</summary>
    NoSuchStore,

    /// <summary>The label is not in the component's <c>key_value_stores</c> (WIT <c>access-denied</c>).</summary>
    AccessDenied,

    /// <summary>The handle was never opened or is already closed (WIT <c>invalid-store</c>).</summary>
    InvalidStore,

    /// <summary>The key does not exist (WIT v1 <c>no-such-key</c>; the later interfaces return <c>none</c> instead).</summary>
    NoSuchKey,

    /// <summary>
    /// Anything else the caller can act on: backend unreachable or failing, a size limit, a value that is not a counter
    /// (WIT v1 <c>io(string)</c>, v2 and wasi <c>other(string)</c>).
    /// </summary>
    Io,
}
