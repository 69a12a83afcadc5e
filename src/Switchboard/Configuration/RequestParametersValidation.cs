using Switchboard.Integrations;
using Switchboard.Integrations.HttpProxy;
using Switchboard.Routing;

namespace Switchboard.Configuration;

/// <summary>
/// The checks of <c>http_proxy</c> settings that depend on the route, part of <see cref="SwitchboardOptionsValidator"/>
/// (the kind checks each expression on its own): API Gateway maps handshake headers and query parameters only on
/// <c>$connect</c>; a mapping that could never have a value (an authorizer's value without an authorizer, a body on a
/// route that has none, an undefined stage variable) is refused rather than silently sending nothing.
/// </summary>
internal static class RequestParametersValidation
{
    public static void Validate(SwitchboardOptions options, Action<string, string> error)
    {
        var hasAuthorizer = options.Routes.Any(route => route.RouteKey == RouteTable.ConnectKey && route.Authorizer is not null);
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var route = options.Routes[i];
            if (route.Authorizer?.Integration is { } authorizerIntegration && IsHttpProxy(authorizerIntegration))
            {
                error($"Routes:{i}:Authorizer:Integration:Type", "an http_proxy integration cannot answer an authorizer: it does not send the authorizer event; use Type http or lambda");
            }

            if (!IsHttpProxy(route.Integration))
            {
                continue;
            }

            var isConnect = route.RouteKey == RouteTable.ConnectKey;
            var hasBody = route.RouteKey is not (RouteTable.ConnectKey or RouteTable.DisconnectKey);
            foreach (var (target, source) in RequestParameterMapping.Sources(route.Integration.RequestParameters))
            {
                var key = $"Routes:{i}:Integration:{RequestParameterMapping.SettingName}:{target}";
                switch (source.Kind)
                {
                    case ParameterSourceKind.Header or ParameterSourceKind.QueryString when !isConnect:
                        error(key, $"route.request.header and route.request.querystring are only available on {RouteTable.ConnectKey} (messages carry neither); map context.* or route.request.body.* here");
                        break;
                    case ParameterSourceKind.Body when !hasBody:
                        error(key, $"{route.RouteKey} has no body; route.request.body is for message routes");
                        break;
                    case ParameterSourceKind.Context when source.NeedsAuthorizer && !hasAuthorizer:
                        error(key, $"context.authorizer.* comes from a {RouteTable.ConnectKey} authorizer, and none is configured");
                        break;
                    case ParameterSourceKind.StageVariable when !options.StageVariables.ContainsKey(source.Name):
                        error(key, $"refers to stageVariables.{source.Name}, but Switchboard:StageVariables defines no '{source.Name}'{Suggestion.For(source.Name, options.StageVariables.Keys)}");
                        break;
                }
            }
        }
    }

    private static bool IsHttpProxy(IntegrationOptions integration) => IntegrationKindName.Normalize(integration.Type) == IntegrationKinds.HttpProxy;
}
