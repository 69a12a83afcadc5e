using Switchboard.Configuration;
using Switchboard.Connections;

namespace Switchboard.Tests.Connections;

public sealed class ConnectionBudgetTests
{
    private static RouteDefinition Route(string type, string uri) => new() { RouteKey = uri, Integration = new IntegrationOptions { Type = type, Uri = uri } };

    [Fact]
    public void HttpBackends_AreTheDistinctServersOfHttpAndHttpProxyRoutes()
    {
        var options = new SwitchboardOptions
        {
            Routes =
            [
                Route("http", "http://10.0.0.1:8080/connect"),
                Route("http_proxy", "http://10.0.0.1:8080/messages"),
                Route("HTTP_PROXY", "http://10.0.0.2:8080/messages"),
                Route("mock", "http://10.0.0.3:8080/not-called"),
            ],
        };

        Assert.Equal(2, ConnectionBudget.HttpBackendCount(options));
    }
}
