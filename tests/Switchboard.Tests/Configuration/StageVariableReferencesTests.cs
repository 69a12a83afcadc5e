using Switchboard.Configuration;

namespace Switchboard.Tests.Configuration;

public sealed class StageVariableReferencesTests
{
    private static readonly Dictionary<string, string> Variables = new() { ["host"] = "10.0.0.7:8080", ["version"] = "v2" };

    [Fact]
    public void Substitute_ReplacesEveryDefinedReference()
    {
        Assert.Equal("http://10.0.0.7:8080/v2/connect?v=v2", StageVariableReferences.Substitute("http://${stageVariables.host}/${stageVariables.version}/connect?v=${stageVariables.version}", Variables));
    }

    [Fact]
    public void Substitute_LeavesUndefinedReferencesAndOtherTextAsWritten()
    {
        Assert.Equal("http://${stageVariables.nope}/${other.host}/$x", StageVariableReferences.Substitute("http://${stageVariables.nope}/${other.host}/$x", Variables));
        Assert.Null(StageVariableReferences.Substitute(null, Variables));
    }

    [Fact]
    public void UndefinedNames_AreListedOnce_InOrder()
    {
        Assert.Equal(["b", "a"], StageVariableReferences.UndefinedNames("${stageVariables.b}${stageVariables.host}${stageVariables.a}${stageVariables.b}", Variables));
        Assert.Empty(StageVariableReferences.UndefinedNames(null, Variables));
    }

    [Fact]
    public void ResolveAll_ResolvesRouteAndAuthorizerIntegrations()
    {
        var options = new SwitchboardOptions
        {
            StageVariables = Variables,
            Routes =
            [
                new RouteDefinition
                {
                    RouteKey = "$connect",
                    Integration = new IntegrationOptions { Type = "http", Uri = "http://${stageVariables.host}/connect" },
                    Authorizer = new AuthorizerOptions { Integration = new IntegrationOptions { Type = "http", Uri = "http://${stageVariables.host}/auth" } },
                },
            ],
        };

        StageVariableReferences.ResolveAll(options);

        Assert.Equal("http://10.0.0.7:8080/connect", options.Routes[0].Integration.Uri);
        Assert.Equal("http://10.0.0.7:8080/auth", options.Routes[0].Authorizer!.Integration.Uri);
    }
}
