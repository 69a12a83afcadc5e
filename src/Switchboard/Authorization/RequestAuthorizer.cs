using System.Diagnostics;
using Switchboard.Events;
using Switchboard.Routing;

namespace Switchboard.Authorization;

/// <summary>
/// API Gateway's REQUEST authorizer: the authorizer event goes to an integration of any kind (through the same
/// invoker as routes, so under its timeout and with its logs and metrics) and its answer is read by
/// <see cref="AuthorizerResponse"/>. Its events carry the stage variables of the route table it belongs to
/// (<see cref="RouteTable.StageVariables"/>).
/// </summary>
internal sealed class RequestAuthorizer(CompiledRoute integration, string methodArn, IReadOnlyDictionary<string, string>? stageVariables, RouteInvoker invoker, RouteEventFactory events) : IConnectAuthorizer
{
    public CompiledRoute Integration => integration;

    /// <summary>The route key the authorizer's calls are logged and measured under.</summary>
    public const string RouteKey = "$connect:authorizer";

    public async ValueTask<AuthorizerDecision> AuthorizeAsync(AuthorizationRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var authorizerEvent = events.Authorize(request.Upgrade, request.Client, request.ConnectionId, request.ConnectedAt, request.SourceIp, request.UserAgent, methodArn, stageVariables);
        var result = await invoker.InvokeAsync(integration, authorizerEvent, cancellationToken).ConfigureAwait(false);
        return AuthorizerResponse.Evaluate(result, methodArn, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
