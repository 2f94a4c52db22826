using Tomlyn.Model;
using Xunit;

namespace Spindle.Configuration.Tests;

// Issue #6: the object model is built from the syntax tree; these pin the TOML rules it follows.
public sealed class TomlModelTests
{
    private const string Path = "/app/test.toml";

    [Fact]
    public void Arrays_of_tables_keep_every_element_when_other_tables_come_between()
    {
        var root = TomlFile.Parse(
            """
            [[fruit]]
            name = "apple"
            [fruit.physical]
            color = "red"
            [[fruit.variety]]
            name = "red delicious"
            [other]
            x = 1
            [[fruit]]
            name = "banana"
            [[fruit.variety]]
            name = "plantain"
            """,
            Path,
            "test file");

        var fruit = Assert.IsType<TomlTableArray>(root["fruit"]);
        Assert.Equal(2, fruit.Count);
        Assert.Equal("apple", fruit[0]["name"]);
        Assert.Equal("red", ((TomlTable)fruit[0]["physical"])["color"]);
        Assert.Equal("red delicious", ((TomlTableArray)fruit[0]["variety"])[0]["name"]);
        Assert.Equal("banana", fruit[1]["name"]);
        Assert.Equal("plantain", ((TomlTableArray)fruit[1]["variety"])[0]["name"]);
        Assert.Equal(1L, ((TomlTable)root["other"])["x"]);
    }

    [Fact]
    public void Values_keep_their_types_and_dotted_and_quoted_keys_nest_as_toml_says()
    {
        var root = TomlFile.Parse(
            """
            title = "t"
            count = 3
            ratio = 0.5
            on = true
            when = 1979-05-27T07:32:00Z
            list = [1, "two", { three = 3 }, [4]]
            site."google.com" = true
            a.b.c = "deep"
            inline = { x.y = 1, z = "w" }
            [table."quoted key"]
            k = "v"
            """,
            Path,
            "test file");

        Assert.Equal("t", root["title"]);
        Assert.Equal(3L, root["count"]);
        Assert.Equal(0.5, root["ratio"]);
        Assert.Equal(true, root["on"]);
        Assert.IsType<Tomlyn.TomlDateTime>(root["when"]);
        var list = Assert.IsType<TomlArray>(root["list"]);
        Assert.Equal(1L, list[0]);
        Assert.Equal("two", list[1]);
        Assert.Equal(3L, ((TomlTable)list[2]!)["three"]);
        Assert.Equal(4L, ((TomlArray)list[3]!)[0]);
        Assert.Equal(true, ((TomlTable)root["site"])["google.com"]);
        Assert.Equal("deep", ((TomlTable)((TomlTable)root["a"])["b"])["c"]);
        var inline = (TomlTable)root["inline"];
        Assert.Equal(1L, ((TomlTable)inline["x"])["y"]);
        Assert.Equal("w", inline["z"]);
        Assert.Equal("v", ((TomlTable)((TomlTable)root["table"])["quoted key"])["k"]);
    }

    [Theory]
    [InlineData("a = 1\na = 2")]
    [InlineData("[t]\n[t]")]
    [InlineData("a = 1\n[[a]]")]
    [InlineData("[[a]]\n[a]")]
    [InlineData("a = { b = 1 }\n[a]\nc = 2")]
    public void A_key_or_table_defined_twice_is_a_configuration_error(string toml)
    {
        var ex = Assert.Throws<ConfigurationException>(() => TomlFile.Parse(toml, Path, "test file"));

        Assert.Contains(Path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not valid TOML", ex.Message, StringComparison.Ordinal);
    }
}
