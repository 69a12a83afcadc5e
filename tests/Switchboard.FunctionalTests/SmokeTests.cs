using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Switchboard.Integrations;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

public sealed class SmokeTests
{
    [Fact]
    public async Task TwoWayRoute_SendsHandlerBodyBackToCaller()
    {
        await using var gateway = await TestGateway.StartAsync(
            new Dictionary<string, string?>
            {
                ["Switchboard:Routes:0:RouteKey"] = "echo",
                ["Switchboard:Routes:0:Integration:Type"] = "inprocess",
                ["Switchboard:Routes:0:Integration:Handler"] = "echo",
                ["Switchboard:Routes:0:TwoWay"] = "true",
            },
            services => services.AddRouteHandler("echo", (e, _) => ValueTask.FromResult(RouteResponse.WithBody("got " + e.Body))));
        await using var client = await gateway.ConnectAsync();
        await client.SendTextAsync(JsonSerializer.Serialize(new { action = "echo", n = 1 }));
        Assert.Equal("got {\"action\":\"echo\",\"n\":1}", await client.ReceiveTextAsync());
    }
}
