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

    [Fact]
    public void UnderAHeapLimit_TheMemoryCap_AppliesWhenItIsBelowTheOpenFileCap()
    {
        const long MiB = 1024 * 1024;
        var options = new SwitchboardOptions();

        // 64 MB: 32 kept for the process, 16 (a quarter) for outbound queues, 16 KB for each connection of the other 16.
        var limited = ConnectionBudget.For(options, openFileLimit: 20_000, availableMemoryBytes: 64 * MiB);
        Assert.Equal(1024, limited.MaxConnections);
        Assert.Equal(64 * MiB, limited.AvailableMemoryBytes);

        // 16 GB: the open-file limit is the lower cap.
        var files = ConnectionBudget.For(options, openFileLimit: 20_000, availableMemoryBytes: 16 * 1024 * MiB);
        Assert.Equal(17_934, files.MaxConnections);
        Assert.Null(files.AvailableMemoryBytes);

        // A configured cap is kept as it is.
        options.Limits.MaxConnections = 50_000;
        Assert.Equal(50_000, ConnectionBudget.For(options, openFileLimit: 20_000, availableMemoryBytes: 64 * MiB).MaxConnections);
    }
}
