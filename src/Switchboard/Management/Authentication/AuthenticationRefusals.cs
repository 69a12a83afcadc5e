using Microsoft.AspNetCore.Http;

namespace Switchboard.Management.Authentication;

/// <summary>
/// The answers to a management call that does not authenticate, in the shapes API Gateway (<c>execute-api</c>) gives
/// them, so the AWS SDKs raise their usual exceptions: all 403, the type in <c>x-amzn-ErrorType</c>, the text in
/// <c>{"message": …}</c>. Sources and the texts that are Switchboard's own: docs/aws-compatibility.md.
/// </summary>
internal static class AuthenticationRefusals
{
    /// <summary>No <c>Authorization</c> header and no API key.</summary>
    public static ManagementError MissingToken { get; } = new(StatusCodes.Status403Forbidden, "MissingAuthenticationTokenException", "Missing Authentication Token");

    /// <summary>An access key id that is not configured.</summary>
    public static ManagementError UnknownAccessKey { get; } = new(StatusCodes.Status403Forbidden, "UnrecognizedClientException", "The security token included in the request is invalid.");

    /// <summary>An API key that is not configured: API Gateway's answer to a wrong <c>x-api-key</c>.</summary>
    public static ManagementError UnknownApiKey { get; } = new(StatusCodes.Status403Forbidden, "ForbiddenException", "Forbidden");

    /// <summary>An <c>Authorization</c> header without the parts a signature needs, or with parts of the wrong shape.</summary>
    public static ManagementError Incomplete(string message) => new(StatusCodes.Status403Forbidden, "IncompleteSignatureException", message);

    /// <summary>A signature that does not verify, is out of its time window, or is scoped to another region or service.</summary>
    public static ManagementError Invalid(string message) => new(StatusCodes.Status403Forbidden, "InvalidSignatureException", message);

    /// <summary>
    /// The signature does not match: AWS's text, followed (as AWS does) by the canonical request and string to sign the
    /// gateway computed, so the caller can compare them with its own. Neither holds a secret.
    /// </summary>
    public static ManagementError SignatureMismatch(string canonicalRequest, string stringToSign) => Invalid(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
        + $"\n\nThe Canonical String for this request should have been\n'{canonicalRequest}'\n\nThe String-to-Sign should have been\n'{stringToSign}'\n");
}
