using System.Globalization;
using System.Text;
using CsCheck;
using Spindle.Core;
using Xunit;

namespace Spindle.Conformance;

/// <summary>
/// Model-based test: random operation sequences run against the backend and against a plain dictionary, and every
/// observable result must agree. CsCheck shrinks a failing sequence to a minimal one; pin such finds as regression
/// tests in the fact list.
/// </summary>
public abstract partial class KeyValueStoreConformance
{
    // Few keys, so operations collide; they include characters whose UTF-8 and UTF-16 orders differ.
    private static readonly string[] ModelKeys = ["a", "ab", "b", "", "é", "\uE000", "😀", "n"];

    private static readonly Gen<string> GenKey = Gen.OneOf(ModelKeys);

    private static readonly Gen<byte[]> GenValue = Gen.Frequency(
        (3, Gen.Byte.Array[0, 6]),
        (1, Gen.Long[-1000, 1000].Select(n => Encoding.ASCII.GetBytes(n.ToString(CultureInfo.InvariantCulture)))));

    private static readonly Gen<Op> GenOp = Gen.Frequency(
        (4, Gen.Select(GenKey, GenValue, (k, v) => (Op)new SetOp(k, v))),
        (3, GenKey.Select(k => (Op)new GetOp(k))),
        (2, GenKey.Select(k => (Op)new DeleteOp(k))),
        (2, GenKey.Select(k => (Op)new ExistsOp(k))),
        (2, Gen.Select(GenKey, Gen.Long[-5, 5], (k, d) => (Op)new IncrementOp(k, d))),
        (1, Gen.Select(Gen.OneOf("", "a", "b", "x"), Gen.Int[1, 4], (p, n) => (Op)new ListOp(p, n))),
        (1, GenKey.Array[0, 4].Select(k => (Op)new GetManyOp(k))),
        (1, Gen.Select(GenKey, GenValue, Gen.Bool, (k, v, stale) => (Op)new SwapOp(k, v, stale))));

    [Fact]
    public void Random_operation_sequences_match_a_dictionary_model()
    {
        GenOp.List[1, 40].Sample(ops =>
        {
            var store = FreshStore();
            var model = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var op in ops)
            {
                op.Check(store, model);
            }

            Assert.Equal(model.Keys.OrderBy(k => k, Utf8KeyComparer.Instance), AllKeys(store, null, 1000));
        }, iter: 150);
    }

    private static List<string> AllKeys(IKeyValueStore store, string? prefix, int pageSize)
    {
        var keys = new List<string>();
        string? cursor = null;
        do
        {
            var page = store.ListKeys(prefix, cursor, pageSize);
            keys.AddRange(page.Keys);
            cursor = page.Cursor;
        }
        while (cursor is not null);
        return keys;
    }

    private abstract record Op
    {
        public abstract void Check(IKeyValueStore store, Dictionary<string, byte[]> model);
    }

    private sealed record SetOp(string Key, byte[] Value) : Op
    {
        public override void Check(IKeyValueStore store, Dictionary<string, byte[]> model)
        {
            store.Set(Key, Value);
            model[Key] = Value;
        }

        public override string ToString() => $"Set({Key}, [{string.Join(',', Value)}])";
    }

    private sealed record GetOp(string Key) : Op
    {
        public override void Check(IKeyValueStore store, Dictionary<string, byte[]> model) =>
            Assert.Equal(model.GetValueOrDefault(Key), store.Get(Key));
    }

    private sealed record DeleteOp(string Key) : Op
    {
        public override void Check(IKeyValueStore store, Dictionary<string, byte[]> model)
        {
            store.Delete(Key);
            model.Remove(Key);
        }
    }

    private sealed record ExistsOp(string Key) : Op
    {
        public override void Check(IKeyValueStore store, Dictionary<string, byte[]> model) =>
            Assert.Equal(model.ContainsKey(Key), store.Exists(Key));
    }

    private sealed record IncrementOp(string Key, long Delta) : Op
    {
        public override void Check(IKeyValueStore store, Dictionary<string, byte[]> model)
        {
            long current = 0;
            var valid = !model.TryGetValue(Key, out var stored) || TryParseCounter(stored, out current);
            if (!valid)
            {
                Assert.Throws<KeyValueException>(() => store.Increment(Key, Delta));
                return;
            }

            var next = current + Delta;
            Assert.Equal(next, store.Increment(Key, Delta));
            model[Key] = Encoding.ASCII.GetBytes(next.ToString(CultureInfo.InvariantCulture));
        }

        private static bool TryParseCounter(byte[] stored, out long value)
        {
            value = 0;
            var digits = stored.Length > 0 && stored[0] == (byte)'-' ? stored[1..] : stored;
            return digits.Length > 0
                && digits.All(b => b >= (byte)'0' && b <= (byte)'9')
                && long.TryParse(Encoding.ASCII.GetString(stored), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        }
    }

    private sealed record ListOp(string Prefix, int PageSize) : Op
    {
        public override void Check(IKeyValueStore store, Dictionary<string, byte[]> model)
        {
            var prefix = Prefix.Length == 0 ? null : Prefix;
            var expected = model.Keys
                .Where(k => prefix is null || k.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(k => k, Utf8KeyComparer.Instance);
            Assert.Equal(expected, AllKeys(store, prefix, PageSize));
        }
    }

    private sealed record GetManyOp(string[] Keys) : Op
    {
        public override void Check(IKeyValueStore store, Dictionary<string, byte[]> model)
        {
            var result = store.GetMany(Keys);
            Assert.Equal(Keys, result.Select(r => r.Key));
            for (var i = 0; i < Keys.Length; i++)
            {
                Assert.Equal(model.GetValueOrDefault(Keys[i]), result[i].Value);
            }
        }

        public override string ToString() => $"GetMany({string.Join(',', Keys)})";
    }

    // Reads a version, optionally makes it stale with an intervening write of the same bytes, then swaps.
    private sealed record SwapOp(string Key, byte[] Value, bool MakeStale) : Op
    {
        public override void Check(IKeyValueStore store, Dictionary<string, byte[]> model)
        {
            var current = store.GetVersioned(Key);
            Assert.Equal(model.GetValueOrDefault(Key), current.Value);
            if (MakeStale && current.Value is not null)
            {
                store.Set(Key, current.Value);
                Assert.False(store.TrySwap(Key, current.Version, Value));
                return;
            }

            Assert.True(store.TrySwap(Key, current.Version, Value));
            model[Key] = Value;
        }

        public override string ToString() => $"Swap({Key}, [{string.Join(',', Value)}], stale: {MakeStale})";
    }
}
