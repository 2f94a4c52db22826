using Spindle.Core;

namespace Spindle.Host.Abi;

/// <summary>One mapping per WIT version from <see cref="KeyValueErrorKind"/> to that version's error case.</summary>
internal static class WitErrors
{
    /// <summary>
    /// The v1 <c>error</c> variant's discriminants (<c>key-value</c> core imports and <c>fermyon:spin/key-value</c>):
    /// store-table-full, no-such-store, access-denied, invalid-store, no-such-key, io(string).
    /// </summary>
    public static byte ToV1Tag(KeyValueErrorKind kind) => kind switch
    {
        KeyValueErrorKind.StoreTableFull => 0,
        KeyValueErrorKind.NoSuchStore => 1,
        KeyValueErrorKind.AccessDenied => 2,
        KeyValueErrorKind.InvalidStore => 3,
        KeyValueErrorKind.NoSuchKey => 4,
        KeyValueErrorKind.Io => 5,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unmapped key-value error kind"),
    };

    /// <summary>The v1 tag that carries a message.</summary>
    public const byte V1Io = 5;
}
