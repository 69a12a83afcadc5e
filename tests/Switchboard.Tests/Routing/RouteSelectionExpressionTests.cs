using System.Text;
using Switchboard.Routing;

namespace Switchboard.Tests.Routing;

public sealed class RouteSelectionExpressionTests
{
    private static string? Evaluate(string expression, string body) =>
        RouteSelectionExpression.Parse(expression).Evaluate(Encoding.UTF8.GetBytes(body));

    [Theory]
    [InlineData("""{"action":"sendmessage"}""", "sendmessage")]
    [InlineData("""{"other":1,"action":"join","more":[1,2,{"x":3}]}""", "join")]
    [InlineData("""{"action":"caf\u00e9"}""", "café")]
    [InlineData("""{"action":5}""", "5")]
    [InlineData("""{"action":true}""", "true")]
    [InlineData("""{"action":null}""", "")]
    [InlineData("""{"action":["a","b"]}""", "[a, b]")]
    [InlineData("""{"nothing":"here"}""", "")]
    [InlineData("""[1,2]""", "")]
    [InlineData("""  {"action" : "spaced"}  """, "spaced")]
    public void BodyAction_YieldsStringifiedValue(string body, string expected) =>
        Assert.Equal(expected, Evaluate("$request.body.action", body));

    [Theory]
    [InlineData("hello")]
    [InlineData("""{"action":"x" """)]
    [InlineData("""{"action":"x"} trailing""")]
    [InlineData("")]
    public void NonJsonBody_YieldsNull(string body) => Assert.Null(Evaluate("$request.body.action", body));

    [Fact]
    public void NestedPath_FindsNestedValue() =>
        Assert.Equal("deep", Evaluate("$request.body.a.b", """{"a":{"x":1,"b":"deep"},"b":"shallow"}"""));

    [Fact]
    public void NestedPath_ThroughNonObject_YieldsEmpty() =>
        Assert.Equal("", Evaluate("$request.body.a.b", """{"a":"text"}"""));

    [Fact]
    public void Template_CombinesVariablesAndLiterals() =>
        Assert.Equal("chat/join", Evaluate("${request.body.service}/${request.body.action}", """{"service":"chat","action":"join"}"""));

    [Fact]
    public void Template_MissingVariable_IsEmpty() =>
        Assert.Equal("join-", Evaluate("${request.body.action}-${request.body.nope}", """{"action":"join"}"""));

    [Fact]
    public void StaticExpression_AlwaysYieldsItself()
    {
        var expression = RouteSelectionExpression.Parse("action");
        Assert.True(expression.IsStatic);
        Assert.Equal("action", expression.Evaluate("anything"u8));
    }

    [Fact]
    public void EscapedDollar_IsLiteral() => Assert.Equal("$default", Evaluate("\\$default", "{}"));

    [Theory]
    [InlineData("$request.header.x", "only $request.body")]
    [InlineData("${request.body.action", "no closing")]
    [InlineData("$request.body.a..b", "empty path segment")]
    [InlineData("", "empty")]
    public void InvalidExpression_IsRejectedWithReason(string text, string expectedFragment)
    {
        Assert.False(RouteSelectionExpression.TryParse(text, out _, out var error));
        Assert.Contains(expectedFragment, error, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchingIsOnTheFirstOccurrence()
    {
        // Duplicate keys are valid JSON; the first value wins, the rest of the document is still validated.
        Assert.Equal("first", Evaluate("$request.body.action", """{"action":"first","action":"second"}"""));
    }
}
