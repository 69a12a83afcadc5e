using Switchboard.Events;

namespace Switchboard.Integrations.Mock;

/// <summary>API Gateway's MOCK: the same answer to every event, without a backend.</summary>
internal sealed class MockIntegration(RouteResponse answer) : IRouteIntegration
{
    public RouteResponse Answer => answer;

    public ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken) =>
        ValueTask.FromResult(IntegrationResult.Success(answer));
}
