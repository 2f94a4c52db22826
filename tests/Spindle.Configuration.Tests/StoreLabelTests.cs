using Xunit;

namespace Spindle.Configuration.Tests;

public sealed class StoreLabelTests
{
    [Theory]
    [InlineData("default")]
    [InlineData("user-data")]
    [InlineData("snake_case")]
    [InlineData("USER_DATA")]
    [InlineData("a1")]
    [InlineData("a")]
    [InlineData("v2-cache3")]
    public void Valid_labels_are_accepted(string label) => Assert.True(StoreLabel.IsValid(label));

    [Theory]
    [InlineData("b@dlabel")]
    [InlineData("camelCase")]
    [InlineData("_x")]
    [InlineData("x_")]
    [InlineData("a__b")]
    [InlineData("1a")]
    [InlineData("a-b_c")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("-x")]
    [InlineData("a b")]
    [InlineData("caf\u00e9")]
    [InlineData("cache-3")]
    public void Invalid_labels_are_rejected(string? label) => Assert.False(StoreLabel.IsValid(label));
}
