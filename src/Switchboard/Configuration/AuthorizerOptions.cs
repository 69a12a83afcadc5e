namespace Switchboard.Configuration;

/// <summary>
/// The authorizer of the <c>$connect</c> route (<c>Routes:N:Authorizer</c>): decides whether a handshake may connect
/// before the route's integration runs, as API Gateway's REQUEST authorizers do. See docs/security.md, "$connect authorizers".
/// </summary>
public sealed class AuthorizerOptions
{
    /// <summary>Authorizer type <c>request</c>: an integration receives API Gateway's authorizer event and answers an IAM policy.</summary>
    public const string RequestType = "request";

    /// <summary>Authorizer type <c>jwt</c>: the gateway validates a JSON Web Token itself (<see cref="Jwt"/>).</summary>
    public const string JwtType = "jwt";

    /// <summary><c>request</c> or <c>jwt</c>.</summary>
    public string Type { get; set => field = value ?? ""; } = "";

    /// <summary>
    /// Where the caller's identity is, as API Gateway writes it: <c>route.request.header.X</c>,
    /// <c>route.request.querystring.X</c>, <c>stageVariables.X</c>, <c>context.X</c>. When any of them is missing or
    /// empty the handshake is refused with 401 and the authorizer is not called.
    /// </summary>
    public List<string> IdentitySource { get; set; } = [];

    /// <summary>For <c>request</c>: the integration that receives the authorizer event (any integration kind).</summary>
    public IntegrationOptions Integration { get; set; } = new();

    /// <summary>For <c>jwt</c>: issuer, audiences, keys and where the token is.</summary>
    public JwtAuthorizerOptions Jwt { get; set; } = new();

    /// <summary>The region in the authorizer event's <c>methodArn</c> (the resource its policy is matched against).</summary>
    public string Region { get; set => field = value ?? ""; } = "us-east-1";

    /// <summary>The account id in the authorizer event's <c>methodArn</c>: 12 digits.</summary>
    public string AccountId { get; set => field = value ?? ""; } = "000000000000";
}
