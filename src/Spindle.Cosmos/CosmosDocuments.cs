using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spindle.Core;

namespace Spindle.Cosmos;

/// <summary>
/// Spin's document layout: <c>{"id": key, "value": [byte, ...], "store_id": label}</c>, and a counter written by
/// increment as <c>{"id": key, "value": 42, "store_id": label}</c>.
/// </summary>
/// <remarks>
/// A key becomes the document id verbatim when Cosmos DB and its gateways take it as an id: 1 to 255 characters, none
/// of <c>/ \ ? # %</c> or a control character, no leading or trailing space. Spin refuses the first four characters
/// outright; Spindle instead stores any other key under <c>~b64~</c> followed by the key's UTF-8 bytes in unpadded
/// base64url, as it does a key that itself starts with <c>~b64~</c>, so every key has exactly one id.
/// </remarks>
internal static class CosmosDocuments
{
    /// <summary>The start of an id that holds an encoded key.</summary>
    public const string EncodedIdPrefix = "~b64~";

    private const int MaxPlainIdLength = 255;

    // Strict: a key with a lone surrogate is a caller's mistake (ArgumentException), never stored mangled.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The document id of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key is not valid Unicode.</exception>
    public static string IdOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] bytes;
        try
        {
            bytes = Utf8.GetBytes(key);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("key is not valid Unicode (it contains a lone surrogate)", nameof(key), ex);
        }

        return IsPlainId(key) ? key : EncodedIdPrefix + Base64Url.EncodeToString(bytes);
    }

    /// <summary>The key a document id stands for.</summary>
    public static string KeyOf(string id)
    {
        if (id.StartsWith(EncodedIdPrefix, StringComparison.Ordinal))
        {
            try
            {
                return Utf8.GetString(Base64Url.DecodeFromChars(id.AsSpan(EncodedIdPrefix.Length)));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                // Not written by Spindle (another client chose this id): shown as it is.
            }
        }

        return id;
    }

    /// <summary>Whether <paramref name="key"/> is stored as the id itself.</summary>
    public static bool IsPlainId(string key)
    {
        if (key.Length is 0 or > MaxPlainIdLength || key[0] == ' ' || key[^1] == ' '
            || key.StartsWith(EncodedIdPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in key)
        {
            if (c is '/' or '\\' or '?' or '#' or '%' || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A document holding <paramref name="value"/> as bytes.</summary>
    public static MemoryStream Write(string id, string storeId, byte[] value, bool base64)
    {
        var stream = new MemoryStream(value.Length * (base64 ? 2 : 4) + id.Length + storeId.Length + 64);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", id);
            if (base64)
            {
                writer.WriteBase64String("value", value);
            }
            else
            {
                writer.WriteStartArray("value");
                foreach (var b in value)
                {
                    writer.WriteNumberValue(b);
                }

                writer.WriteEndArray();
            }

            writer.WriteString("store_id", storeId);
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    /// <summary>A counter document, as Spin's increment writes it.</summary>
    public static MemoryStream WriteCounter(string id, string storeId, long value)
    {
        var stream = new MemoryStream(id.Length + storeId.Length + 64);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", id);
            writer.WriteNumber("value", value);
            writer.WriteString("store_id", storeId);
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    /// <summary>
    /// The bytes of a document's <c>value</c>: an array of byte numbers (Spin, and <c>value_encoding = "bytes"</c>),
    /// a base64 string, or an integer (a counter, read as its ASCII decimal form).
    /// </summary>
    /// <exception cref="KeyValueException">The value has none of those forms.</exception>
    public static byte[] ValueOf(JsonElement value, string description)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Array:
                var bytes = new byte[value.GetArrayLength()];
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Number || !item.TryGetByte(out bytes[i++]))
                    {
                        throw Unreadable(description);
                    }
                }

                return bytes;
            case JsonValueKind.String when value.TryGetBytesFromBase64(out var decoded):
                return decoded;
            case JsonValueKind.Number when value.TryGetInt64(out var counter):
                return Encoding.ASCII.GetBytes(counter.ToString(CultureInfo.InvariantCulture));
            default:
                throw Unreadable(description);
        }
    }

    /// <summary>The current counter in a document's value, for increment.</summary>
    public static long CounterOf(JsonElement value, string key, string description) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var counter)
            ? counter
            : CounterEncoding.Decode(key, ValueOf(value, description));

    private static KeyValueException Unreadable(string description) =>
        new(KeyValueErrorKind.Io, $"a document in {description} has a \"value\" Spindle cannot read (not an array of bytes, a base64 string or an integer); it was not written by Spin or Spindle");
}
