using Spindle.Core;

namespace Spindle.Host.Tests;

public sealed class HandleTableTests
{
    [Fact]
    public void Handles_count_up_from_zero()
    {
        var table = new HandleTable<string>();
        Assert.Equal(0u, table.Add("a"));
        Assert.Equal(1u, table.Add("b"));
        Assert.Equal("b", table.Get(1));
    }

    [Fact]
    public void Default_capacity_is_documented_value() => Assert.Equal(HandleTable<string>.DefaultCapacity, new HandleTable<string>().Capacity);

    [Fact]
    public void Full_table_is_store_table_full()
    {
        var table = new HandleTable<string>(capacity: 2);
        table.Add("a");
        table.Add("b");
        var ex = Assert.Throws<KeyValueException>(() => table.Add("c"));
        Assert.Equal(KeyValueErrorKind.StoreTableFull, ex.Kind);
        Assert.Contains("2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Closing_makes_room_again()
    {
        var table = new HandleTable<string>(capacity: 1);
        var first = table.Add("a");
        Assert.True(table.Remove(first));
        Assert.Equal(1u, table.Add("b"));
    }

    [Fact]
    public void Closed_handle_is_invalid_store_and_not_reused_at_once()
    {
        var table = new HandleTable<string>();
        var handle = table.Add("a");
        table.Remove(handle);
        var next = table.Add("b");
        Assert.NotEqual(handle, next);
        Assert.Equal(KeyValueErrorKind.InvalidStore, Assert.Throws<KeyValueException>(() => table.Get(handle)).Kind);
    }

    [Fact]
    public void Unknown_handle_is_invalid_store() =>
        Assert.Equal(KeyValueErrorKind.InvalidStore, Assert.Throws<KeyValueException>(() => new HandleTable<string>().Get(42)).Kind);

    [Fact]
    public void Removing_unknown_handle_returns_false() => Assert.False(new HandleTable<string>().Remove(7));

    [Fact]
    public void Capacity_must_be_positive() => Assert.Throws<ArgumentOutOfRangeException>(() => new HandleTable<string>(0));
}
