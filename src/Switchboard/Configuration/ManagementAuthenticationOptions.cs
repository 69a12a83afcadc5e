namespace Switchboard.Configuration;

/// <summary>
/// Authentication of the management API (<c>Switchboard:Management:Authentication</c>). With no credential and no API
/// key configured (the default) the management API has no authentication of its own and only loopback callers are
/// served unless <see cref="ManagementOptions.AllowRemote"/>; once either is configured every management call, from
/// loopback too, must carry a valid SigV4 signature or API key. Secrets are never logged or printed.
/// </summary>
public sealed class ManagementAuthenticationOptions
{
    /// <summary>
    /// AWS-style credentials, access key id → secret access key, that callers sign with (Signature Version 4, service
    /// <c>execute-api</c>), as the AWS SDKs do. Several at once, so that a key can be rotated without a gap. Typically
    /// set through the environment: <c>Switchboard__Management__Authentication__Credentials__AKIA…=secret</c>.
    /// </summary>
    public Dictionary<string, string> Credentials { get; set; } = [];

    /// <summary>
    /// Plain API keys for callers that are not AWS SDKs (the operator console, scripts): sent as
    /// <c>Authorization: Bearer &lt;key&gt;</c> or <c>x-api-key: &lt;key&gt;</c>. At least 16 characters each.
    /// </summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>The region signed requests must be scoped to, as the SDK's configured region is. Default <c>us-east-1</c>.</summary>
    public string Region { get; set => field = value ?? ""; } = "us-east-1";

    /// <summary>True when any credential or API key is configured, and so every management call must authenticate.</summary>
    internal bool IsEnabled => Credentials.Count > 0 || ApiKeys.Count > 0;

    /// <summary>The access key ids, the number of API keys and the region: never a secret or a key, whoever prints this.</summary>
    public override string ToString() =>
        $"{Credentials.Count} credential(s) [{string.Join(", ", Credentials.Keys)}], {ApiKeys.Count} API key(s), region {Region}";
}
