namespace Switchboard.Management.Authentication;

/// <summary>AWS credentials for signing outgoing calls. <see cref="ToString"/> never shows the secret or the token.</summary>
internal sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken)
{
    /// <summary>
    /// The credentials in the usual AWS variables (<c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, optional
    /// <c>AWS_SESSION_TOKEN</c>), read through <paramref name="variable"/>; null unless both the key id and the secret are set.
    /// </summary>
    public static AwsCredentials? From(Func<string, string?> variable) =>
        variable("AWS_ACCESS_KEY_ID") is { Length: > 0 } accessKeyId && variable("AWS_SECRET_ACCESS_KEY") is { Length: > 0 } secret
            ? new AwsCredentials(accessKeyId, secret, variable("AWS_SESSION_TOKEN") is { Length: > 0 } token ? token : null)
            : null;

    public override string ToString() => $"AwsCredentials {{ AccessKeyId = {AccessKeyId} }}";
}

/// <summary>
/// Signs an outgoing request with SigV4 as the AWS SDKs do: <c>host</c>, <c>x-amz-content-sha256</c>,
/// <c>x-amz-date</c> and the session token signed, over the request target as it will be sent. Used by the CLI's
/// management calls (service <c>execute-api</c>) and the <c>lambda</c> integration kind (service <c>lambda</c>).
/// </summary>
internal static class SigV4Signer
{
    /// <summary>Adds the signing headers and <c>Authorization</c> to <paramref name="request"/>, whose content (if any) is already set.</summary>
    public static async Task SignAsync(HttpRequestMessage request, AwsCredentials credentials, string region, string service, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(credentials);
        var uri = request.RequestUri!;
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var amzDate = SigV4.FormatDate(now);
        var payloadHash = SigV4.HashHex(body);
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = uri.Authority,
            [SigV4.ContentSha256Header] = payloadHash,
            [SigV4.DateHeader] = amzDate,
        };
        if (credentials.SessionToken is not null)
        {
            headers[SigV4.SecurityTokenHeader] = credentials.SessionToken;
        }

        string[] signedHeaders = [.. headers.Keys];
        var canonicalRequest = SigV4.CanonicalRequest(request.Method.Method, uri.PathAndQuery, signedHeaders, name => [headers[name]], payloadHash);
        var (scope, _, signature) = SigV4.Sign(credentials.SecretAccessKey, amzDate, region, service, canonicalRequest);
        foreach (var (name, value) in headers.Where(header => header.Key != "host"))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.TryAddWithoutValidation("Authorization", SigV4.AuthorizationHeader(credentials.AccessKeyId, scope, signedHeaders, signature));
    }
}
