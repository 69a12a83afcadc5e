using System.Text.Json;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// <c>Switchboard:StageVariables</c>: <c>${stageVariables.name}</c> resolved in an http integration's URL, and the
/// variables as <c>stageVariables</c> in the proxy events (left out when there are none).
/// </summary>
public sealed class StageVariableTests : IAsyncLifetime
{
    private RecordingBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await RecordingBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    private Task<TestGateway> StartAsync(Dictionary<string, string?> variables)
    {
        var settings = new Dictionary<string, string?>(variables);
        string[] routes = ["$connect", "$disconnect", "$default"];
        for (var i = 0; i < routes.Length; i++)
        {
            settings[$"Switchboard:Routes:{i}:RouteKey"] = routes[i];
            settings[$"Switchboard:Routes:{i}:Integration:Type"] = "http";
            settings[$"Switchboard:Routes:{i}:Integration:Uri"] = variables.Count == 0
                ? _backend.UriFor(routes[i].TrimStart('$')).ToString()
                : $"http://${{stageVariables.backend}}/${{stageVariables.version}}/{routes[i].TrimStart('$')}";
        }

        return TestGateway.StartAsync(settings);
    }

    [Fact]
    public async Task IntegrationUrl_IsResolved_AndEveryEventCarriesTheVariables()
    {
        await using var gateway = await StartAsync(new()
        {
            ["Switchboard:StageVariables:backend"] = _backend.BaseUri.Authority,
            ["Switchboard:StageVariables:version"] = "v2",
        });
        await using (var client = await gateway.ConnectAsync())
        {
            await client.SendTextAsync("hello");
        }

        foreach (var routeKey in new[] { "$connect", "$default", "$disconnect" })
        {
            var recorded = await _backend.NextEventAsync(routeKey);
            Assert.Equal($"v2/{routeKey.TrimStart('$')}", recorded.Path);
            var variables = recorded.Event.GetProperty("stageVariables");
            Assert.Equal(_backend.BaseUri.Authority, variables.GetProperty("backend").GetString());
            Assert.Equal("v2", variables.GetProperty("version").GetString());
        }
    }

    [Fact]
    public async Task Events_LeaveStageVariablesOut_WhenThereAreNone()
    {
        await using var gateway = await StartAsync([]);
        await using (var client = await gateway.ConnectAsync())
        {
            await client.SendTextAsync("hello");
        }

        Assert.False((await _backend.NextEventAsync("$connect")).Event.TryGetProperty("stageVariables", out _));
        Assert.False((await _backend.NextEventAsync("$default")).Event.TryGetProperty("stageVariables", out _));
    }
}
