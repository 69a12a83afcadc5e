using Switchboard.Connections;

namespace Switchboard.Tests.Connections;

public sealed class ConnectionIdTests
{
    [Fact]
    public void New_HasApiGatewayShape()
    {
        for (var i = 0; i < 1000; i++)
        {
            var id = ConnectionId.New();
            Assert.Equal(16, id.Length);
            Assert.EndsWith("=", id, StringComparison.Ordinal);
            Assert.Matches("^[A-Za-z0-9_-]{15}=$", id);
            Assert.True(ConnectionId.IsWellFormed(id));
        }
    }

    [Fact]
    public void New_IsUnique()
    {
        var ids = Enumerable.Range(0, 100_000).Select(_ => ConnectionId.New()).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(100_000, ids.Count);
    }

    [Theory]
    [InlineData("R1kmxc2VNjMCFIA=", true)]
    [InlineData("Ti835f_GEowCETQ=", true)]
    [InlineData("JC1dgf9yoAMCK-g=", true)]
    [InlineData("R1kmxc2VNjMCFIA", false)]
    [InlineData("R1kmxc2VNjMCFIAA", false)]
    [InlineData("R1kmxc2VNjMCF+A=", false)]
    [InlineData("R1kmxc2VNjMCF/A=", false)]
    [InlineData("", false)]
    public void IsWellFormed_AcceptsOnlyTheShape(string id, bool expected) => Assert.Equal(expected, ConnectionId.IsWellFormed(id));
}
