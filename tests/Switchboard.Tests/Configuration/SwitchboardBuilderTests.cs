using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Switchboard.Tests.Configuration;

/// <summary>
/// Each package owns and checks its part of the <c>Switchboard</c> section; the startup check reports every part's
/// problems together, and keys that moved with their new place.
/// </summary>
public sealed class SwitchboardBuilderTests
{
    private static List<string> StartupErrors(Dictionary<string, string?> settings, Action<ISwitchboardBuilder>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        var switchboard = services.AddSwitchboard(configuration);
        configure?.Invoke(switchboard);
        using var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException exception)
        {
            return [.. exception.Failures];
        }
        catch (AggregateException exception)
        {
            return [.. exception.InnerExceptions.Cast<OptionsValidationException>().SelectMany(inner => inner.Failures)];
        }
    }

    [Fact]
    public void MovedKey_IsReportedWithWhereItWent()
    {
        var errors = StartupErrors(
            new() { ["Switchboard:Registry:Path"] = "old.db" },
            switchboard => switchboard.AddSqliteRegistry());

        Assert.Equal(["Switchboard:Registry:Path: moved to Switchboard:Registry:Sqlite:Path (see docs/configuration.md#moved-keys)"], errors);
    }

    [Fact]
    public void BackendSection_IsCheckedForTyposByItsOwner() =>
        Assert.Equal(
            ["Switchboard:Registry:Sqlite:Pth: unknown key (did you mean 'Path'?)"],
            StartupErrors(new() { ["Switchboard:Registry:Sqlite:Pth"] = "x.db" }, switchboard => switchboard.AddSqliteRegistry()));

    [Fact]
    public void SectionOfABackendNotAdded_IsAnUnknownKey() =>
        Assert.Equal(
            ["Switchboard:Registry: unknown key"],
            StartupErrors(new() { ["Switchboard:Registry:Sqlite:Path"] = "x.db" }));

    [Fact]
    public void ProblemsOfTheGatewayAndOfABackend_AreReportedTogether()
    {
        var errors = StartupErrors(
            new() { ["Switchboard:Stagee"] = "dev", ["Switchboard:Registry:Redis:NodeTimeout"] = "00:00:01" },
            switchboard => switchboard.AddRedisScaleOut());

        Assert.Contains("Switchboard:Stagee: unknown key (did you mean 'Stage'?)", errors);
        Assert.Contains(errors, error => error.StartsWith("Switchboard:Registry:Redis:Configuration: is required", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.StartsWith("Switchboard:Registry:Redis:NodeTimeout: ", StringComparison.Ordinal));
    }

    [Fact]
    public void RedisConnectionFactory_StandsInForTheConfigurationString() =>
        Assert.Empty(StartupErrors([], switchboard => switchboard.AddRedisScaleOut(options =>
            options.ConnectionFactory = _ => throw new InvalidOperationException("not called by validation"))));

    [Fact]
    public void RedisConfigurationString_IsParsedAtStartup() =>
        Assert.Contains(
            StartupErrors(new() { ["Switchboard:Registry:Redis:Configuration"] = "127.0.0.1:6379,nonsense=1" }, switchboard => switchboard.AddRedisScaleOut()),
            error => error.StartsWith("Switchboard:Registry:Redis:Configuration: not a valid StackExchange.Redis configuration string", StringComparison.Ordinal));

    [Fact]
    public void UnknownIntegrationType_ListsTheRegisteredKinds() =>
        Assert.Contains(
            "Switchboard:Routes:0:Integration:Type: unknown integration type 'lamda' (expected http or http_proxy or inprocess or lambda or mock) (did you mean 'lambda'?)",
            StartupErrors(new() { ["Switchboard:Routes:0:RouteKey"] = "$default", ["Switchboard:Routes:0:Integration:Type"] = "lamda" }));

    [Fact]
    public void OneRun_ListsUnknownKeys_BadValues_AndEveryOtherProblem_WithSuggestions()
    {
        var errors = StartupErrors(
            new()
            {
                ["Switchboard:Stagee"] = "dev",
                ["Switchboard:Limits:MaxMessageBytes"] = "lots",
                ["Switchboard:Limits:IdleTimeout"] = "00:00:00",
                ["Switchboard:Routes:0:RouteKey"] = "$conect",
                ["Switchboard:Routes:0:Integration:Type"] = "inprocess",
                ["Switchboard:Routes:0:Integration:Handler"] = "ecko",
                ["Switchboard:Routes:1:RouteKey"] = "chat",
                ["Switchboard:Routes:1:Integration:Type"] = "htp",
            },
            switchboard => switchboard.AddRouteHandler("echo", (_, _) => ValueTask.FromResult(Switchboard.Integrations.RouteResponse.Ok)));

        Assert.Equal(
            [
                "Switchboard:Limits:IdleTimeout: must be positive (got 00:00:00)",
                "Switchboard:Limits:MaxMessageBytes: 'lots' is not a valid whole number",
                "Switchboard:Routes:0:Integration:Handler: no route handler named 'ecko' is registered (AddRouteHandler) (did you mean 'echo'?)",
                "Switchboard:Routes:0:RouteKey: '$conect' is not a reserved route key ($connect, $disconnect, $default), and custom keys must not start with '$' (did you mean '$connect'?)",
                "Switchboard:Routes:1:Integration:Type: unknown integration type 'htp' (expected http or http_proxy or inprocess or lambda or mock) (did you mean 'http'?)",
                "Switchboard:Stagee: unknown key (did you mean 'Stage'?)",
            ],
            errors.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ABackendAddedTwice_IsCheckedOnce()
    {
        var errors = StartupErrors(
            new() { ["Switchboard:Registry:Sqlite:Pth"] = "x.db", ["Switchboard:Registry:Redis:NodeTimeout"] = "00:00:01" },
            switchboard => switchboard.AddSqliteRegistry().AddSqliteRegistry().AddRedisScaleOut().AddRedisScaleOut());

        Assert.Single(errors, error => error.StartsWith("Switchboard:Registry:Sqlite:Pth: ", StringComparison.Ordinal));
        Assert.Single(errors, error => error.StartsWith("Switchboard:Registry:Redis:NodeTimeout: ", StringComparison.Ordinal));
    }
}
