using Microsoft.Extensions.DependencyInjection;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

// The suite itself is Switchboard.Testing.BackplaneConformanceTests, shared with Switchboard.Redis.Tests.
public sealed class LocalBackplaneConformanceTests : BackplaneConformanceTests
{
    protected override int NodeCount => 1;

    protected override Task<TestGateway> StartNodeAsync(Dictionary<string, string?> settings, Action<ISwitchboardBuilder> suiteServices) =>
        TestGateway.StartAsync(settings, suiteServices, useSqlite: false);
}
