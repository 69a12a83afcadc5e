using System.Globalization;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Switchboard.Management.Authentication;

namespace Switchboard.Tests.Integrations;

/// <summary>The <c>lambda</c> kind's signing, checked against the AWS SDK for .NET's own signer.</summary>
public sealed class LambdaSigningTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string InvokeUri = "http://127.0.0.1:3001/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Achat/invocations?Qualifier=live";

    [Fact]
    public async Task AnInvokeOfAnArnSignedByTheAwsSdk_HasTheSignatureSigV4Computes()
    {
        HttpRequestMessage? signed = null;
        using var handler = new SigV4SigningHandler(new BasicAWSCredentials("AKIDEXAMPLE", Secret), RegionEndpoint.EUWest1, "lambda", new Management.ManagementAuthenticationCheckTests.CapturingHandler(request => signed = request));
        using var client = new HttpClient(handler);
        using var content = new ByteArrayContent("""{"requestContext":{"routeKey":"$connect"}}"""u8.ToArray());
        content.Headers.ContentType = new("application/json");

        await client.PostAsync(new Uri(InvokeUri), content);

        Assert.True(SigV4Authorization.TryParse(signed!.Headers.GetValues("Authorization").Single(), hasDate: true, out var authorization, out var problem), problem);
        Assert.Equal("lambda", authorization!.Service);
        var body = await signed.Content!.ReadAsByteArrayAsync();
        var canonicalRequest = SigV4.CanonicalRequest("POST", signed.RequestUri!.PathAndQuery, authorization.SignedHeaders, name => [HeaderValue(signed, name)], SigV4.HashHex(body));
        var amzDate = signed.Headers.GetValues(SigV4.DateHeader).Single();

        Assert.Equal(authorization.Signature, SigV4.Sign(Secret, amzDate, "eu-west-1", "lambda", canonicalRequest).Signature);
    }

    [Fact]
    public async Task SigV4Signer_SignsTheInvokeSoTheSdksCanonicalFormVerifiesIt()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, InvokeUri) { Content = new ByteArrayContent("{}"u8.ToArray()) };
        var now = new DateTimeOffset(2026, 12, 3, 8, 30, 0, TimeSpan.Zero);

        await SigV4Signer.SignAsync(request, new AwsCredentials("AKIDEXAMPLE", Secret, "token"), "eu-west-1", "lambda", now, CancellationToken.None);

        Assert.True(SigV4Authorization.TryParse(request.Headers.GetValues("Authorization").Single(), hasDate: true, out var authorization, out var problem), problem);
        Assert.Equal(["host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"], authorization!.SignedHeaders);
        // The canonical request as the AWS SDK builds it: the ARN's %3A encoded once more in the canonical URI.
        var canonicalRequest = string.Join('\n',
            "POST",
            "/2015-03-31/functions/arn%253Aaws%253Alambda%253Aeu-west-1%253A123456789012%253Afunction%253Achat/invocations",
            "Qualifier=live",
            "host:127.0.0.1:3001",
            $"x-amz-content-sha256:{SigV4.HashHex("{}"u8)}",
            "x-amz-date:20261203T083000Z",
            "x-amz-security-token:token",
            "",
            "host;x-amz-content-sha256;x-amz-date;x-amz-security-token",
            SigV4.HashHex("{}"u8));
        var expected = Amazon.Runtime.Internal.Auth.AWS4Signer.ComputeSignature("AKIDEXAMPLE", Secret, "eu-west-1", now.UtcDateTime, "lambda", "host;x-amz-content-sha256;x-amz-date;x-amz-security-token", canonicalRequest);
        Assert.Equal(expected.Signature, authorization.Signature);
    }

    private static string HeaderValue(HttpRequestMessage request, string name) => name switch
    {
        "host" => request.RequestUri!.Authority,
        "content-type" => request.Content!.Headers.ContentType!.ToString(),
        "content-length" => request.Content!.Headers.ContentLength!.Value.ToString(CultureInfo.InvariantCulture),
        _ => request.Headers.GetValues(name).Single(),
    };
}
