using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Configuration;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>Integration kinds are open: registered by name, and HTTP integrations go through a named client users can extend.</summary>
public sealed class IntegrationKindTests
{
    private static Dictionary<string, string?> TwoWayDefaultRoute(string type, string? uri = null) => new()
    {
        ["Switchboard:Routes:0:RouteKey"] = "$default",
        ["Switchboard:Routes:0:TwoWay"] = "true",
        ["Switchboard:Routes:0:Integration:Type"] = type,
        ["Switchboard:Routes:0:Integration:Uri"] = uri,
    };

    [Fact]
    public async Task AKindAddedByName_ServesTheRoutesThatNameIt()
    {
        await using var gateway = await TestGateway.StartAsync(
            TwoWayDefaultRoute("Shout"),
            switchboard => switchboard.AddIntegrationKind<ShoutingKind>("shout"));
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("hello");

        Assert.Equal("HELLO", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task HttpIntegrations_GoThroughTheNamedClient_SoAddedHandlersSeeEveryCall()
    {
        var handler = new AnsweringHandler();
        // Port 9 (discard) on loopback: nothing listens, so only the added handler can answer.
        await using var gateway = await TestGateway.StartAsync(
            TwoWayDefaultRoute("http", "http://127.0.0.1:9/never"),
            switchboard => switchboard.Services.AddHttpClient(IntegrationKinds.HttpClientName).AddHttpMessageHandler(() => handler));
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("ping");

        Assert.Equal("answered by the handler", await client.ReceiveTextAsync());
        Assert.Equal(new Uri("http://127.0.0.1:9/never"), handler.LastRequestUri);
    }

    /// <summary>Answers with the message in capitals; no settings of its own.</summary>
    private sealed class ShoutingKind : IIntegrationKind
    {
        public IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration) => [];

        public IRouteIntegration Create(IntegrationOptions integration) => new Shouting();

        private sealed class Shouting : IRouteIntegration
        {
            public ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken) =>
                ValueTask.FromResult(IntegrationResult.Success(RouteResponse.WithBody(routeEvent.Body!.ToUpperInvariant())));
        }
    }

    /// <summary>What a user's authentication or resilience handler would be: here it answers itself.</summary>
    private sealed class AnsweringHandler : DelegatingHandler
    {
        public Uri? LastRequestUri { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastRequestUri = request.RequestUri;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"statusCode":200,"body":"answered by the handler"}""", Encoding.UTF8, "application/json"),
            });
        }
    }
}
