using System.Text;
using Switchboard.Integrations;

namespace Switchboard.Tests.Integrations;

public sealed class HttpIntegrationResultTests
{
    private static readonly Uri Source = new("http://127.0.0.1:9/lambda");

    private static IntegrationResult Parse(string payload) => LambdaProxyAnswer.ParseResult(Encoding.UTF8.GetBytes(payload), $"backend {Source}");

    [Fact]
    public void LambdaProxyResult_IsRead()
    {
        var result = Parse("""{"statusCode":401,"headers":{"Sec-WebSocket-Protocol":"chat"},"body":"no"}""");
        Assert.Equal(IntegrationOutcome.Succeeded, result.Outcome);
        Assert.Equal(401, result.Response!.StatusCode);
        Assert.Equal("no", result.Response.Body);
        Assert.Equal("chat", result.Response.Headers!["sec-websocket-protocol"]);
    }

    [Fact]
    public void EmptyAnswer_MeansOk() => Assert.Equal(200, Parse("").Response!.StatusCode);

    [Fact]
    public void MissingStatusCode_Means200() => Assert.Equal(200, Parse("""{"body":"x"}""").Response!.StatusCode);

    [Fact]
    public void Base64Body_IsDecoded() =>
        Assert.Equal("hello", Parse("""{"statusCode":200,"body":"aGVsbG8=","isBase64Encoded":true}""").Response!.Body);

    [Fact]
    public void NonStringBody_IsPassedAsJsonText() =>
        Assert.Equal("""{"a":1}""", Parse("""{"statusCode":200,"body":{"a":1}}""").Response!.Body);

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"statusCode":"200"}""")]
    [InlineData("""{"statusCode":200,"body":"%%%","isBase64Encoded":true}""")]
    public void MalformedResult_IsAFailureNamingTheBackend(string payload)
    {
        var result = Parse(payload);
        Assert.Equal(IntegrationOutcome.Failed, result.Outcome);
        Assert.Contains(Source.ToString(), result.FailureDetail, StringComparison.Ordinal);
    }
}
