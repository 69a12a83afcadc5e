using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Configuration;
using Switchboard.Management.Authentication;

namespace Switchboard.Integrations.Lambda;

/// <summary>
/// The <c>lambda</c> kind: <see cref="LambdaIntegration"/> over the named client <see cref="IntegrationKinds.HttpClientName"/>,
/// behind the route's concurrency limit, signing with the credentials <see cref="LambdaCredentials.For"/> chooses.
/// </summary>
internal sealed partial class LambdaIntegrationKind(IHttpClientFactory clients, TimeProvider time, IServiceProvider services) : IIntegrationKind
{
    private const string DefaultRegion = "us-east-1";

    public IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration)
    {
        foreach (var error in IntegrationSettingOwners.Validate(integration, IntegrationKinds.Lambda))
        {
            yield return error;
        }

        if (string.IsNullOrWhiteSpace(integration.FunctionName))
        {
            yield return new(nameof(integration.FunctionName), "is required for a lambda integration (a function name, partial ARN or ARN)");
        }
        else if (!FunctionNamePattern().IsMatch(integration.FunctionName))
        {
            yield return new(nameof(integration.FunctionName), $"'{integration.FunctionName}' is not a function name, partial ARN or ARN (letters, digits, '-' and '_', as my-function or arn:aws:lambda:us-east-1:123456789012:function:my-function)");
        }

        if (integration.Qualifier is { } qualifier && !QualifierPattern().IsMatch(qualifier))
        {
            yield return new(nameof(integration.Qualifier), $"'{qualifier}' is not a version or alias ($LATEST, a number, or letters, digits, '-' and '_')");
        }

        if (integration.Endpoint is { } endpoint
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0))
        {
            yield return new(nameof(integration.Endpoint), $"'{endpoint}' is not an absolute http or https URL without a query (e.g. http://127.0.0.1:3001)");
        }

        if (integration.Region is { } region && !RegionPattern().IsMatch(region))
        {
            yield return new(nameof(integration.Region), $"'{region}' is not a region name (lowercase letters, digits and '-', as us-east-1)");
        }

        foreach (var error in ConcurrencyLimitedIntegration.Validate(integration))
        {
            yield return error;
        }
    }

    public IRouteIntegration Create(IntegrationOptions integration)
    {
        var configuration = services.GetService<IConfiguration>();
        string? Variable(string name) => configuration?[name] ?? Environment.GetEnvironmentVariable(name);

        var functionName = integration.FunctionName!.Trim();
        var region = integration.Region
            ?? RegionOf(functionName)
            ?? (Variable("AWS_REGION") is { Length: > 0 } named ? named : null)
            ?? (Variable("AWS_DEFAULT_REGION") is { Length: > 0 } fallback ? fallback : null)
            ?? DefaultRegion;
        var endpoint = (integration.Endpoint ?? $"https://lambda.{region}.amazonaws.com").TrimEnd('/');
        var qualifier = string.IsNullOrEmpty(integration.Qualifier) ? "" : $"?Qualifier={Uri.EscapeDataString(integration.Qualifier)}";
        var invocationUri = new Uri($"{endpoint}/2015-03-31/functions/{Uri.EscapeDataString(functionName)}/invocations{qualifier}");
        var lambda = new LambdaIntegration(clients.CreateClient(IntegrationKinds.HttpClientName), invocationUri, functionName, region, LambdaCredentials.For(invocationUri, Variable), time);
        return ConcurrencyLimitedIntegration.Apply(lambda, integration, $"function {functionName}");
    }

    /// <summary>The region of an ARN (<c>arn:aws:lambda:{region}:…</c>); null for a name or partial ARN.</summary>
    private static string? RegionOf(string functionName) =>
        functionName.StartsWith("arn:", StringComparison.Ordinal) && functionName.Split(':') is { Length: > 3 } parts && parts[3].Length > 0 ? parts[3] : null;

    /// <summary>The Invoke API's FunctionName pattern: name, <c>{account}:function:{name}</c> or the full ARN, each with an optional qualifier.</summary>
    [GeneratedRegex(@"^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?[a-zA-Z0-9_-]{1,140}(:(\$LATEST|[a-zA-Z0-9_-]+))?$")]
    private static partial Regex FunctionNamePattern();

    [GeneratedRegex(@"^(\$LATEST|[a-zA-Z0-9_-]{1,128})$")]
    private static partial Regex QualifierPattern();

    [GeneratedRegex(@"^[a-z0-9-]{1,64}$")]
    private static partial Regex RegionPattern();
}
