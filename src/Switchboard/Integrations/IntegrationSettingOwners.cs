using Switchboard.Configuration;

namespace Switchboard.Integrations;

/// <summary>
/// Which built-in kinds read each integration setting, so that a setting of another kind (RequestParameters on an
/// <c>http</c> route, FunctionName on <c>http_proxy</c>, Body on <c>lambda</c>) is an error that names the kind it
/// belongs to, rather than being ignored: most such mix-ups are a wrong <c>Type</c>.
/// </summary>
internal static class IntegrationSettingOwners
{
    private const string HttpKinds = "the URL or headers of Type http (POSTs the Lambda-proxy event) or http_proxy (sends the message itself)";
    private const string LambdaKind = "for Type lambda, which invokes a Lambda function through the Invoke API";
    private const string HttpProxyKind = "for Type http_proxy, which sends the message itself with the values mapped in RequestParameters; http and lambda send the whole Lambda-proxy event instead";
    private const string MockKind = "for Type mock, a fixed answer without a backend";

    private static readonly (string Setting, string[] Kinds, string Hint, Func<IntegrationOptions, bool> IsSet)[] Settings =
    [
        (nameof(IntegrationOptions.Uri), [IntegrationKinds.Http, IntegrationKinds.HttpProxy], HttpKinds, static i => !string.IsNullOrWhiteSpace(i.Uri)),
        (nameof(IntegrationOptions.Headers), [IntegrationKinds.Http, IntegrationKinds.HttpProxy], HttpKinds, static i => i.Headers.Count > 0),
        (nameof(IntegrationOptions.HttpMethod), [IntegrationKinds.HttpProxy], HttpProxyKind, static i => i.HttpMethod is not null),
        (nameof(IntegrationOptions.RequestParameters), [IntegrationKinds.HttpProxy], HttpProxyKind, static i => i.RequestParameters.Count > 0),
        (nameof(IntegrationOptions.FunctionName), [IntegrationKinds.Lambda], LambdaKind, static i => !string.IsNullOrWhiteSpace(i.FunctionName)),
        (nameof(IntegrationOptions.Qualifier), [IntegrationKinds.Lambda], LambdaKind, static i => i.Qualifier is not null),
        (nameof(IntegrationOptions.Endpoint), [IntegrationKinds.Lambda], LambdaKind, static i => i.Endpoint is not null),
        (nameof(IntegrationOptions.Region), [IntegrationKinds.Lambda], LambdaKind, static i => i.Region is not null),
        (nameof(IntegrationOptions.Handler), [IntegrationKinds.InProcess], "for Type inprocess, a handler registered with AddRouteHandler", static i => !string.IsNullOrWhiteSpace(i.Handler)),
        (nameof(IntegrationOptions.StatusCode), [IntegrationKinds.Mock], MockKind, static i => i.StatusCode is not null),
        (nameof(IntegrationOptions.Body), [IntegrationKinds.Mock], MockKind, static i => i.Body is not null),
        (nameof(IntegrationOptions.MaxConcurrency), [IntegrationKinds.Http, IntegrationKinds.HttpProxy, IntegrationKinds.Lambda], "a limit on calls to a backend of Type http, http_proxy or lambda", static i => i.MaxConcurrency is not null),
        (nameof(IntegrationOptions.MaxQueue), [IntegrationKinds.Http, IntegrationKinds.HttpProxy, IntegrationKinds.Lambda], "a limit on calls to a backend of Type http, http_proxy or lambda", static i => i.MaxQueue is not null),
    ];

    /// <summary>An error for each setting <paramref name="kind"/> does not read, pointing at the kind that does.</summary>
    public static IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration, string kind)
    {
        var article = "aeiouh".Contains(kind[0], StringComparison.Ordinal) ? "an" : "a";
        foreach (var (setting, kinds, hint, isSet) in Settings)
        {
            if (!kinds.Contains(kind) && isSet(integration))
            {
                yield return new(setting, $"is not used by {article} {kind} integration: it is {hint}");
            }
        }
    }
}
