using System.Text;

namespace Spindle.Core.Tests;

public sealed class EncodingTests
{
    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("ключ/😀")]
    public void Cursor_round_trips(string key) => Assert.Equal(key, KeyCursor.Decode(KeyCursor.After(key)));

    [Fact]
    public void Null_cursor_means_start() => Assert.Null(KeyCursor.Decode(null));

    [Theory]
    [InlineData("")]
    [InlineData("k1")]
    [InlineData("k1.***")]
    [InlineData("k1._w")] // base64 of a lone UTF-8 continuation byte
    [InlineData("abc")]
    public void Forged_cursor_is_an_io_error(string cursor) =>
        Assert.Equal(KeyValueErrorKind.Io, Assert.Throws<KeyValueException>(() => KeyCursor.Decode(cursor)).Kind);

    [Fact]
    public void Comparer_matches_utf8_byte_order()
    {
        string[] keys = ["", "a", "ab", "b", "é", "\uE000", "\uFFFF", "😀", "𐀀", "Z", "\0"];
        var byBytes = keys.OrderBy(k => Encoding.UTF8.GetBytes(k), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).ToArray();
        var byComparer = keys.Order(Utf8KeyComparer.Instance).ToArray();
        Assert.Equal(byBytes, byComparer);
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(-42L, "-42")]
    [InlineData(long.MaxValue, "9223372036854775807")]
    [InlineData(long.MinValue, "-9223372036854775808")]
    public void Counters_are_ascii_decimal(long value, string text)
    {
        Assert.Equal(Encoding.ASCII.GetBytes(text), CounterEncoding.Encode(value));
        Assert.Equal(value, CounterEncoding.Decode("k", Encoding.ASCII.GetBytes(text)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1e3")]
    [InlineData("9223372036854775808")]
    [InlineData("abc")]
    public void Non_counters_are_rejected(string text) =>
        Assert.Equal(KeyValueErrorKind.Io, Assert.Throws<KeyValueException>(() => CounterEncoding.Decode("k", Encoding.ASCII.GetBytes(text))).Kind);

    [Fact]
    public void Lone_surrogate_key_is_a_caller_error()
    {
        var registry = new StoreRegistry();
        registry.Add("s", new InMemoryStoreManager());
        Assert.Throws<ArgumentException>(() => registry.Open("s").Set("bad\uD800", [1]));
    }
}
