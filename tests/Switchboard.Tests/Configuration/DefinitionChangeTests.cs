using Switchboard.Configuration;

namespace Switchboard.Tests.Configuration;

public sealed class DefinitionChangeTests
{
    private static readonly Dictionary<string, string?> Running = new()
    {
        ["Switchboard"] = null,
        ["Switchboard:Stage"] = "production",
        ["Switchboard:Limits:MaxConnections"] = "100",
        ["Switchboard:Limits:IntegrationTimeout"] = "00:00:29",
        ["Switchboard:Routes:0:RouteKey"] = "whoami",
        ["Switchboard:Routes:0:Integration:Type"] = "inprocess",
        ["Switchboard:Routes:0:Integration:Handler"] = "demo.whoami",
        ["Switchboard:Routes:1:RouteKey"] = "echo",
        ["Switchboard:Routes:1:Integration:Type"] = "http",
        ["Switchboard:Routes:1:Integration:Uri"] = "http://127.0.0.1:9000/echo",
    };

    [Fact]
    public void Compare_SameConfiguration_ChangesNothing()
    {
        var change = DefinitionChange.Compare(Running, new Dictionary<string, string?>(Running));

        Assert.Empty(change.ChangedKeys);
        Assert.False(change.HasApplicableChanges);
        Assert.Equal(new DefinitionChange.RouteChanges(0, 0, 0), change.Routes);
    }

    [Fact]
    public void Compare_RouteAddedRemovedAndChanged_IsApplicable_AndCountedByRouteKey()
    {
        var next = Without(Running, "Switchboard:Routes:0:");
        // echo moves to index 0 with a new URI; ping is added at index 1.
        next.Remove("Switchboard:Routes:1:RouteKey");
        next.Remove("Switchboard:Routes:1:Integration:Type");
        next.Remove("Switchboard:Routes:1:Integration:Uri");
        next["Switchboard:Routes:0:RouteKey"] = "echo";
        next["Switchboard:Routes:0:Integration:Type"] = "http";
        next["Switchboard:Routes:0:Integration:Uri"] = "http://127.0.0.1:9001/echo";
        next["Switchboard:Routes:1:RouteKey"] = "ping";
        next["Switchboard:Routes:1:Integration:Type"] = "mock";

        var change = DefinitionChange.Compare(Running, next);

        Assert.Empty(change.NeedsRestart);
        Assert.True(change.HasApplicableChanges);
        Assert.Equal(new DefinitionChange.RouteChanges(Added: 1, Removed: 1, Changed: 1), change.Routes);
        Assert.Equal(next, change.Applicable);
    }

    [Fact]
    public void Compare_StageAndMaxConnections_NeedARestart_AndKeepTheirRunningValues()
    {
        var next = new Dictionary<string, string?>(Running)
        {
            ["Switchboard:Stage"] = "dev",
            ["Switchboard:Limits:IntegrationTimeout"] = "00:00:05",
            ["Switchboard:BasePath"] = "/api",
        };
        next.Remove("Switchboard:Limits:MaxConnections");

        var change = DefinitionChange.Compare(Running, next);

        Assert.Equal(["Switchboard:BasePath", "Switchboard:Limits:IntegrationTimeout", "Switchboard:Limits:MaxConnections", "Switchboard:Stage"], change.ChangedKeys);
        Assert.Equal(["Switchboard:BasePath", "Switchboard:Limits:MaxConnections", "Switchboard:Stage"], change.NeedsRestart);
        Assert.True(change.HasApplicableChanges);
        Assert.Equal("production", change.Applicable["Switchboard:Stage"]);
        Assert.Equal("100", change.Applicable["Switchboard:Limits:MaxConnections"]);
        Assert.False(change.Applicable.ContainsKey("Switchboard:BasePath"));
        Assert.Equal("00:00:05", change.Applicable["Switchboard:Limits:IntegrationTimeout"]);
    }

    [Fact]
    public void Compare_OnlySettingsThatNeedARestart_HasNothingToApply()
    {
        var next = new Dictionary<string, string?>(Running) { ["Switchboard:Stage"] = "dev" };

        var change = DefinitionChange.Compare(Running, next);

        Assert.Equal(["Switchboard:Stage"], change.NeedsRestart);
        Assert.False(change.HasApplicableChanges);
    }

    [Fact]
    public void Compare_KeysDifferingOnlyInCase_AreTheSameSetting()
    {
        var next = Running.ToDictionary(pair => pair.Key.ToUpperInvariant(), pair => pair.Value, StringComparer.OrdinalIgnoreCase);

        Assert.Empty(DefinitionChange.Compare(new Dictionary<string, string?>(Running, StringComparer.OrdinalIgnoreCase), next).ChangedKeys);
    }

    [Theory]
    [InlineData("Switchboard:Routes", true)]
    [InlineData("Switchboard:Routes:3:Integration:MaxConcurrency", true)]
    [InlineData("Switchboard:routeselectionexpression", true)]
    [InlineData("Switchboard:Limits:IntegrationTimeout", true)]
    [InlineData("Switchboard:RoutesExtra", false)]
    [InlineData("Switchboard:StageVariables:backend", true)]
    [InlineData("Switchboard:Limits:MaxMessageBytes", true)]
    [InlineData("Switchboard:Limits:IdleTimeout", true)]
    [InlineData("Switchboard:Limits:MaxConnections", false)]
    [InlineData("Switchboard:Limits:MaxIntegrationConnectionsPerBackend", false)]
    [InlineData("Switchboard:LimitsExtra", false)]
    [InlineData("Switchboard:RateLimits:MessagesPerConnection:PerSecond", false)]
    [InlineData("Switchboard:Registry:Provider", false)]
    [InlineData("Kestrel:Endpoints:Http:Url", false)]
    public void IsReloadable_TheRouteTable_StageVariables_AndTheLimitsReadPerUse(string key, bool reloadable) =>
        Assert.Equal(reloadable, DefinitionChange.IsReloadable(key));

    private static Dictionary<string, string?> Without(Dictionary<string, string?> configuration, string prefix) =>
        configuration.Where(pair => !pair.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(pair => pair.Key, pair => pair.Value);
}
