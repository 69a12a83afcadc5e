using Microsoft.Extensions.DependencyInjection;
using Switchboard.Configuration;
using Microsoft.Extensions.Configuration;
using Switchboard.Integrations;

namespace Switchboard.Tests.Configuration;

public sealed class SwitchboardOptionsValidatorTests
{
    private static List<string> Validate(SwitchboardOptions options)
    {
        var services = new ServiceCollection();
        services.AddSwitchboard(new ConfigurationBuilder().Build())
            .AddRouteHandler("known", (_, _) => ValueTask.FromResult(RouteResponse.Ok));
        using var provider = services.BuildServiceProvider();
        return SwitchboardOptionsValidator.Collect(options, provider, openFileLimit: null);
    }

    private static RouteDefinition Route(string key, string type = "inprocess", string? handler = "known", string? uri = null) =>
        new() { RouteKey = key, Integration = new IntegrationOptions { Type = type, Handler = handler, Uri = uri } };

    [Fact]
    public void Defaults_AreValid() => Assert.Empty(Validate(new SwitchboardOptions()));

    [Fact]
    public void EveryError_IsListedWithItsKeyPath()
    {
        var options = new SwitchboardOptions
        {
            Stage = "bad stage",
            RouteSelectionExpression = "$request.header.x",
            Routes =
            [
                Route("$connect"),
                Route("chat", "http", handler: null, uri: "ftp://example.invalid/x"),
                Route("$custom"),
                Route("chat"),
                Route("x", "lamda"),
                Route("y", handler: "missing"),
                Route("z", "http", handler: null, uri: null),
            ],
            Limits = new LimitsOptions { MaxMessageBytes = -1, IdleTimeout = TimeSpan.Zero, IntegrationTimeout = TimeSpan.FromMilliseconds(10) },
        };

        var errors = Validate(options);

        Assert.Contains(errors, e => e.StartsWith("Switchboard:Stage:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:RouteSelectionExpression:", StringComparison.Ordinal) && e.Contains("$request.body", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:Routes:1:Integration:Uri:", StringComparison.Ordinal) && e.Contains("ftp://", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:Routes:2:RouteKey:", StringComparison.Ordinal) && e.Contains("$custom", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:Routes:3:RouteKey:", StringComparison.Ordinal) && e.Contains("Routes:1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:Routes:4:Integration:Type:", StringComparison.Ordinal) && e.Contains("lamda", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:Routes:5:Integration:Handler:", StringComparison.Ordinal) && e.Contains("missing", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:Routes:6:Integration:Uri:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:Limits:MaxMessageBytes:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:Limits:IdleTimeout:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Switchboard:Limits:IntegrationTimeout:", StringComparison.Ordinal));
    }

    [Fact]
    public void RouteKeys_AreCaseSensitive_SoDifferingCaseIsNoDuplicate() =>
        Assert.Empty(Validate(new SwitchboardOptions { Routes = [Route("Chat"), Route("chat")] }));

    [Fact]
    public void FrameLimitAboveMessageLimit_IsRejected() =>
        Assert.Contains(
            Validate(new SwitchboardOptions { Limits = new LimitsOptions { MaxFrameBytes = 2000, MaxMessageBytes = 1000 } }),
            e => e.StartsWith("Switchboard:Limits:MaxFrameBytes:", StringComparison.Ordinal));

    [Theory]
    [InlineData("https://admin.example.com", true)]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("https://admin.example.com/", true)]
    [InlineData("https://admin.example.com/console", false)]
    [InlineData("admin.example.com", false)]
    [InlineData("ftp://admin.example.com", false)]
    [InlineData("null", false)]
    [InlineData("*", false)]
    public void AllowedOrigins_AcceptOnlyWebOrigins(string origin, bool valid)
    {
        var errors = Validate(new SwitchboardOptions { Management = new ManagementOptions { AllowedOrigins = [origin] } });
        if (valid)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains(errors, e => e.StartsWith("Switchboard:Management:AllowedOrigins:0:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Authentication_ErrorsNameTheirKeys_AndNeverShowASecretOrAnApiKey()
    {
        var authentication = new ManagementAuthenticationOptions
        {
            Credentials = new() { ["AKIA/BAD"] = "secret-one", ["AKIAEMPTY"] = " " },
            ApiKeys = ["short-key-1", "a good key with spaces"],
            Region = "US_EAST",
        };
        var errors = Validate(new SwitchboardOptions { Management = new ManagementOptions { Authentication = authentication } });

        Assert.Equal(
            [
                "Switchboard:Management:Authentication:Credentials:AKIA/BAD: an access key id has letters and digits only (it is the first part of the signature's Credential=…/…)",
                "Switchboard:Management:Authentication:Credentials:AKIAEMPTY: the secret access key must not be empty",
                "Switchboard:Management:Authentication:ApiKeys:0: an API key must be at least 16 printable ASCII characters without spaces (the key itself is not shown)",
                "Switchboard:Management:Authentication:ApiKeys:1: an API key must be at least 16 printable ASCII characters without spaces (the key itself is not shown)",
                "Switchboard:Management:Authentication:Region: 'US_EAST' is not a region name (lowercase letters, digits and '-', as us-east-1)",
            ],
            errors);
        Assert.DoesNotContain(errors, e => e.Contains("secret-one", StringComparison.Ordinal) || e.Contains("short-key-1", StringComparison.Ordinal));
    }

    [Fact]
    public void AuthenticationOptions_PrintNoSecretAndNoKey()
    {
        var options = new ManagementAuthenticationOptions { Credentials = new() { ["AKIAEXAMPLE"] = "secret-value" }, ApiKeys = ["api-key-value-0123"] };
        Assert.Equal("1 credential(s) [AKIAEXAMPLE], 1 API key(s), region us-east-1", options.ToString());
    }

    [Fact]
    public void Authentication_WithGoodCredentialsAndKeys_IsValid() =>
        Assert.Empty(Validate(new SwitchboardOptions
        {
            Management = new ManagementOptions
            {
                Authentication = new ManagementAuthenticationOptions
                {
                    Credentials = new() { ["AKIAIOSFODNN7EXAMPLE"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
                    ApiKeys = ["0123456789abcdef"],
                    Region = "eu-west-1",
                },
            },
        }));
}
