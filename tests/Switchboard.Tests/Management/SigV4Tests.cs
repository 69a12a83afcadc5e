using System.Text;
using Switchboard.Management.Authentication;

namespace Switchboard.Tests.Management;

/// <summary>
/// The canonicalization and signature against AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite:
/// credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830T123600Z, us-east-1, service
/// <c>service</c>). Each case is the suite's request as it is written there and the signature the suite publishes.
/// </summary>
public sealed class SigV4Tests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string AmzDate = "20150830T123600Z";
    private const string Date = "20150830";
    private const string Host = "example.amazonaws.com";

    public static TheoryData<string, string, string, string[], string> Vectors => new()
    {
        // name, method, request target, extra headers ("name:value", in the order sent), published signature
        { "get-vanilla", "GET", "/", [], "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
        { "get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", [], "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
        { "get-vanilla-empty-query-key", "GET", "/?Param1=value1", [], "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },
        { "get-vanilla-query-unreserved", "GET", "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", [], "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
        { "get-vanilla-utf8-query", "GET", "/?ሴ=bar", [], "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
        { "get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", [], "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
        { "get-utf8", "GET", "/ሴ", [], "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
        { "get-space", "GET", "/example space/", [], "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },
        { "normalize-path/get-relative", "GET", "/example/..", [], "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
        { "normalize-path/get-relative-relative", "GET", "/example1/example2/../..", [], "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
        { "normalize-path/get-slash-dot-slash", "GET", "/./", [], "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
        { "normalize-path/get-slash", "GET", "//", [], "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
        { "get-header-key-duplicate", "GET", "/", ["My-Header1:value2", "My-Header1:value2", "My-Header1:value1"], "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
        { "get-header-value-trim", "GET", "/", ["My-Header1: value1", "My-Header2: \"a   b   c\""], "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
        { "post-vanilla", "POST", "/", [], "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
        { "post-vanilla-query", "POST", "/?Param1=value1", [], "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void PublishedTestSuiteRequests_SignToThePublishedSignatures(string name, string method, string target, string[] extraHeaders, string expected)
    {
        var headers = new List<(string Name, string Value)> { ("host", Host), ("x-amz-date", AmzDate) };
        headers.AddRange(extraHeaders.Select(line => (line[..line.IndexOf(':', StringComparison.Ordinal)].ToLowerInvariant(), line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..])));
        string[] signedHeaders = [.. headers.Select(header => header.Name).Distinct().Order(StringComparer.Ordinal)];

        // The vector's name travels with the signature, so a failure says which vector broke.
        Assert.Equal((name, expected), (name, Sign(method, target, headers, signedHeaders, SigV4.HashHex([]))));
    }

    [Fact]
    public void PostXWwwFormUrlencoded_HashesTheBody()
    {
        List<(string, string)> headers = [("content-type", "application/x-www-form-urlencoded"), ("host", Host), ("x-amz-date", AmzDate)];
        var signature = Sign("POST", "/", headers, ["content-type", "host", "x-amz-date"], SigV4.HashHex("Param1=value1"u8));
        Assert.Equal("ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a", signature);
    }

    [Fact]
    public void CanonicalUri_EncodesTheWirePathOnceMore_AsTheSdksDoForExecuteApi()
    {
        // Seen with both JavaScript SDKs: ConnectionId "abc123=" goes on the wire as abc123%3D and is signed as %253D.
        Assert.Equal("/prod/%40connections/abc123%253D", SigV4.CanonicalUri("/prod/@connections/abc123%3D"));
        Assert.Equal("/production/%40connections", SigV4.CanonicalUri("/production/@connections"));
    }

    [Fact]
    public void CanonicalQuery_SortsByNameThenValue_AndEncodesStrictly()
    {
        Assert.Equal("a=1&a=2&b=%20%2B", SigV4.CanonicalQuery("b=%20%2B&a=2&a=1"));
        Assert.Equal("limit=1000&nextToken=abc%3D", SigV4.CanonicalQuery("limit=1000&nextToken=abc%3D"));
    }

    private static string Sign(string method, string target, List<(string Name, string Value)> headers, string[] signedHeaders, string payloadHash)
    {
        var canonical = SigV4.CanonicalRequest(method, target, signedHeaders, name => headers.Where(header => header.Name == name).Select(header => header.Value), payloadHash);
        return SigV4.Sign(Secret, AmzDate, "us-east-1", "service", canonical).Signature;
    }

    [Fact]
    public void StringToSign_OfGetVanilla_IsThePublishedOne()
    {
        var canonical = SigV4.CanonicalRequest("GET", "/", ["host", "x-amz-date"], name => name == "host" ? [Host] : [AmzDate], SigV4.HashHex([]));
        Assert.Equal(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            canonical);
        var stringToSign = SigV4.StringToSign(AmzDate, SigV4.Scope(Date, "us-east-1", "service"), canonical);
        Assert.Equal(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            stringToSign);
        Assert.Equal(Encoding.ASCII.GetByteCount(stringToSign), stringToSign.Length);
    }
}
