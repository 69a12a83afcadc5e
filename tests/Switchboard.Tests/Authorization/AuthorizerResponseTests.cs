using Switchboard.Authorization;
using Switchboard.Integrations;

namespace Switchboard.Tests.Authorization;

public sealed class AuthorizerResponseTests
{
    private const string Arn = "arn:aws:execute-api:us-east-1:000000000000:api/prod/$connect";

    private static AuthorizerDecision Evaluate(string body, int status = 200) =>
        AuthorizerResponse.Evaluate(IntegrationResult.Success(new RouteResponse { StatusCode = status, Body = body }), Arn, latencyMs: 12);

    private static string Result(string statements, string context = "null") =>
        $$"""{"principalId":"me","policyDocument":{"Version":"2012-10-17","Statement":{{statements}}},"context":{{context}}}""";

    [Fact]
    public void SingleStatementObject_AndListsOfActionsAndResources_AreAccepted()
    {
        Assert.Null(Evaluate(Result("""{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}""")).RefusalStatus);
        Assert.Null(Evaluate(Result("""[{"Effect":"Allow","Action":["s3:GetObject","execute-api:invoke"],"Resource":["arn:aws:s3:::b","arn:aws:execute-api:*:*:api/prod/*"]}]""")).RefusalStatus);
    }

    [Fact]
    public void StatementForAnotherAction_DoesNotAllow() =>
        Assert.Equal(403, Evaluate(Result("""[{"Effect":"Allow","Action":"execute-api:ManageConnections","Resource":"*"}]""")).RefusalStatus);

    [Fact]
    public void NoStatements_IsADeny() => Assert.Equal(403, Evaluate(Result("[]")).RefusalStatus);

    [Fact]
    public void Allow_CarriesPrincipalContextInOrderAndLatency()
    {
        var decision = Evaluate(Result("""[{"Effect":"Allow","Action":"*","Resource":"*"}]""", """{"b":"x","a":1.5,"c":false,"principalId":"spoofed"}"""));

        var context = decision.Context!;
        Assert.Equal("me", context.PrincipalId);
        Assert.Equal(["b", "a", "c"], context.Context.Select(entry => entry.Key));
        Assert.Equal(1.5, context["a"]!.Value.GetDouble());
        Assert.Equal(12, context.IntegrationLatency);
    }

    [Theory]
    [InlineData("""{"Effect":"Allow","Action":"execute-api:Invoke"}""")]
    [InlineData("""{"Effect":"allow","Action":"execute-api:Invoke","Resource":"*"}""")]
    [InlineData("""{"Effect":"Allow","Action":[],"Resource":"*"}""")]
    [InlineData("""{"Effect":"Allow","Action":"execute-api:Invoke","Resource":42}""")]
    [InlineData("\"Allow\"")]
    public void InvalidStatement_Is500(string statement) => Assert.Equal(500, Evaluate(Result($"[{statement}]")).RefusalStatus);

    [Fact]
    public void ArrayInContext_Is500() =>
        Assert.Equal(500, Evaluate(Result("""[{"Effect":"Allow","Action":"*","Resource":"*"}]""", """{"roles":["a"]}""")).RefusalStatus);

    [Fact]
    public void FailedOrTimedOutIntegration_Is500()
    {
        Assert.Equal(500, AuthorizerResponse.Evaluate(IntegrationResult.Failure("down"), Arn, 0).RefusalStatus);
        Assert.Equal(500, AuthorizerResponse.Evaluate(IntegrationResult.Timeout(TimeSpan.FromSeconds(1)), Arn, 0).RefusalStatus);
    }
}
