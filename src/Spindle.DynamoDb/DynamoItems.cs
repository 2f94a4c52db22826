using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2.Model;
using Spindle.Core;

namespace Spindle.DynamoDb;

/// <summary>
/// The item layout. Every label's items share one partition key value, the label, so one Query lists its keys in
/// order. The sort key tells a key's head item from a part of a large value:
/// <list type="bullet">
/// <item><c>'k'</c> + the key's UTF-8 bytes: the head. It holds <c>ver</c> (16 random bytes, new on every write) and
/// either the value in <c>v</c>, or in <c>n</c> the number of parts the value was cut into.</item>
/// <item><c>'c'</c> + the head's <c>ver</c> + a 2-byte part number: one part of a large value, in <c>v</c>.</item>
/// </list>
/// DynamoDB orders binary sort keys bytewise, so heads come back in UTF-8 byte order of their keys, and a value's
/// parts are never listed. Keys, values and labels only ever travel as attribute values, never in expression text.
/// </summary>
internal static class DynamoItems
{
    public const string PartitionKey = "pk";
    public const string SortKey = "sk";
    public const string Value = "v";
    public const string Version = "ver";
    public const string Parts = "n";

    /// <summary>DynamoDB's limit on a sort key; the head's marker byte takes one of them.</summary>
    public const int MaxSortKeyBytes = 1024;

    /// <summary>Largest key this layout takes, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = MaxSortKeyBytes - 1;

    /// <summary>
    /// Values up to this size are kept in the head; larger ones are cut into parts of this size. DynamoDB's item
    /// limit is 400 KiB, which this leaves room under for the partition key, a 1 KiB sort key and the names.
    /// </summary>
    public const int PartBytes = 350 * 1024;

    private const byte HeadMarker = (byte)'k';
    private const byte PartMarker = (byte)'c';

    // Strict: a key with a lone surrogate is a caller's mistake (ArgumentException), never stored mangled.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Expression names shared by every request, so no expression depends on reserved words.</summary>
    public static Dictionary<string, string> Names() => new()
    {
        ["#pk"] = PartitionKey,
        ["#sk"] = SortKey,
        ["#v"] = Value,
        ["#ver"] = Version,
        ["#n"] = Parts,
    };

    /// <summary>The head's sort key for <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key is not valid Unicode.</exception>
    /// <exception cref="KeyValueException">The key is longer than <see cref="MaxKeyBytes"/>.</exception>
    public static byte[] HeadSortKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] bytes;
        try
        {
            bytes = new byte[Utf8.GetByteCount(key) + 1];
            Utf8.GetBytes(key, bytes.AsSpan(1));
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("key is not valid Unicode (it contains a lone surrogate)", nameof(key), ex);
        }

        if (bytes.Length > MaxSortKeyBytes)
        {
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"key is {bytes.Length - 1} bytes of UTF-8, over the aws_dynamo store's key limit of {MaxKeyBytes} bytes (DynamoDB sort keys hold at most {MaxSortKeyBytes}); use a shorter key");
        }

        bytes[0] = HeadMarker;
        return bytes;
    }

    /// <summary>The sort key just past every head (an upper bound for queries).</summary>
    public static byte[] AfterHeads() => [HeadMarker + 1];

    /// <summary>The key of a head's sort key.</summary>
    public static string KeyOf(byte[] sortKey) => Utf8.GetString(sortKey, 1, sortKey.Length - 1);

    public static bool IsHead(byte[] sortKey) => sortKey.Length > 0 && sortKey[0] == HeadMarker;

    /// <summary>The sort key of part <paramref name="index"/> of the value written with <paramref name="version"/>.</summary>
    public static byte[] PartSortKey(byte[] version, int index)
    {
        var bytes = new byte[1 + version.Length + 2];
        bytes[0] = PartMarker;
        version.CopyTo(bytes, 1);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1 + version.Length), checked((ushort)index));
        return bytes;
    }

    /// <summary>How many parts a value of <paramref name="length"/> bytes takes; 0 when it fits in the head.</summary>
    public static int PartCount(int length) => length <= PartBytes ? 0 : (length + PartBytes - 1) / PartBytes;

    public static byte[] NewVersion() => Guid.NewGuid().ToByteArray();

    public static string VersionToken(byte[] version) => Convert.ToHexString(version);

    /// <summary>The version a token names, or <see langword="null"/> when it is not a token this backend issued.</summary>
    public static byte[]? ParseVersionToken(string token)
    {
        if (token.Length != 32)
        {
            return null;
        }

        try
        {
            return Convert.FromHexString(token);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static AttributeValue Binary(byte[] bytes) => new() { B = new MemoryStream(bytes, writable: false) };

    public static AttributeValue String(string text) => new() { S = text };

    public static AttributeValue Number(int value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static byte[] BytesOf(AttributeValue value) => value.B?.ToArray() ?? [];

    public static Dictionary<string, AttributeValue> Key(string label, byte[] sortKey) => new()
    {
        [PartitionKey] = String(label),
        [SortKey] = Binary(sortKey),
    };

    /// <summary>A head item as read back: its version, and the value or the number of parts.</summary>
    public sealed record Head(byte[] Version, byte[]? Value, int Parts)
    {
        public static Head? From(Dictionary<string, AttributeValue>? item)
        {
            if (item is null || item.Count == 0 || !item.TryGetValue(DynamoItems.Version, out var version))
            {
                return null;
            }

            var parts = item.TryGetValue(DynamoItems.Parts, out var n) && n.N is { } text ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
            var value = parts == 0 ? (item.TryGetValue(DynamoItems.Value, out var v) ? BytesOf(v) : []) : null;
            return new Head(BytesOf(version), value, parts);
        }
    }
}
