using System.Text;
using Switchboard.Integrations;

namespace Switchboard.Tests.Integrations;

/// <summary>What counts as a failed invocation, for the <c>lambda</c> kind (an empty body fails) and the <c>http</c> kind (it means 200).</summary>
public sealed class LambdaProxyAnswerTests
{
    private const string Source = "function chat";

    private static IntegrationResult Classify(string payload, int status = 200, string? functionError = null, string? errorType = null, bool emptyMeansOk = false) =>
        LambdaProxyAnswer.Classify(status, functionError, errorType, Encoding.UTF8.GetBytes(payload), Source, emptyMeansOk);

    [Theory]
    [InlineData("Handled")]
    [InlineData("Unhandled")]
    public void FunctionErrorHeader_IsAFailure_EvenWithAResultBody(string functionError)
    {
        var result = Classify("""{"statusCode":200,"body":"looks fine"}""", functionError: functionError);
        Assert.Equal(IntegrationOutcome.Failed, result.Outcome);
        Assert.Contains($"X-Amz-Function-Error: {functionError}", result.FailureDetail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"errorType":"TypeError","errorMessage":"secret user data"}""", "TypeError")]
    [InlineData("""{"errorMessage":"secret user data"}""", "no errorType")]
    public void ErrorBodyWithoutStatusCode_IsAFailure_NamingTheTypeNotTheMessage(string payload, string named)
    {
        var result = Classify(payload);
        Assert.Equal(IntegrationOutcome.Failed, result.Outcome);
        Assert.Contains(named, result.FailureDetail, StringComparison.Ordinal);
        Assert.DoesNotContain("secret user data", result.FailureDetail, StringComparison.Ordinal);
    }

    [Fact]
    public void ResultThatMentionsAnError_ButHasAStatusCode_IsAResult() =>
        Assert.Equal(500, Classify("""{"statusCode":500,"errorMessage":"handled by the function"}""").Response!.StatusCode);

    [Theory]
    [InlineData("Task timed out after 1.00 seconds")]
    [InlineData("\"Task timed out after 3.00 seconds\"")]
    public void TaskTimedOutText_IsAFailure(string payload) =>
        Assert.Contains("timed out", Classify(payload).FailureDetail, StringComparison.Ordinal);

    [Fact]
    public void EmptyBody_IsAFailureForLambda_AndOkForHttp()
    {
        Assert.Equal(IntegrationOutcome.Failed, Classify(" \n").Outcome);
        Assert.Equal(200, Classify(" \n", emptyMeansOk: true).Response!.StatusCode);
    }

    [Fact]
    public void ServiceError_IsAFailureNamingItsType()
    {
        var result = Classify("""{"message":"Function not found"}""", status: 404, errorType: "ResourceNotFoundException");
        Assert.Equal(IntegrationOutcome.Failed, result.Outcome);
        Assert.Contains("HTTP 404 (x-amzn-ErrorType: ResourceNotFoundException)", result.FailureDetail, StringComparison.Ordinal);
    }

    [Fact]
    public void ProxyResult_IsRead() =>
        Assert.Equal("hi", Classify("""{"statusCode":200,"body":"hi"}""").Response!.Body);
}
