using Switchboard.Authorization;

namespace Switchboard.Tests.Authorization;

public sealed class ArnPatternTests
{
    private const string Arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$connect";

    [Theory]
    [InlineData(Arn, true)]
    [InlineData("*", true)]
    [InlineData("arn:aws:execute-api:*:*:*", true)]
    [InlineData("arn:aws:execute-api:us-east-1:123456789012:abc123/*", true)]
    [InlineData("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$c?nnect", true)]
    [InlineData("arn:aws:execute-api:us-east-?:123456789012:abc123/prod/*", true)]
    [InlineData("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*", false)]
    [InlineData("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$CONNECT", false)]
    [InlineData("arn:aws:execute-api:*:abc123/prod/$connect", false)]
    [InlineData("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$connect/x", false)]
    [InlineData("arn:aws:execute-api:us-east-1:12345678901?:abc123/prod/$connect", true)]
    public void Resource_IsMatchedPartByPart(string pattern, bool matches) => Assert.Equal(matches, ArnPattern.Matches(pattern, Arn));

    [Fact]
    public void StarDoesNotSpanTheColonsBetweenParts() =>
        Assert.False(ArnPattern.Matches("arn:aws:*:abc123/prod/$connect", Arn));

    [Fact]
    public void ManyStars_AreMatchedWithoutBacktrackingBlowUp()
    {
        var pattern = "arn:aws:execute-api:us-east-1:123456789012:" + string.Concat(Enumerable.Repeat("*a", 30)) + "b";
        var arn = "arn:aws:execute-api:us-east-1:123456789012:" + new string('a', 5000);

        Assert.False(ArnPattern.Matches(pattern, arn));
    }
}
