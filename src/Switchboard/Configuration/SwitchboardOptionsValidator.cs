using Microsoft.Extensions.DependencyInjection;
using Switchboard.Connections;
using Microsoft.Extensions.Options;
using Switchboard.Integrations;
using Switchboard.Routing;

namespace Switchboard.Configuration;

/// <summary>
/// Checks the whole definition and reports every problem with its configuration key path
/// (<c>Switchboard:Routes:2:Integration:Uri: …</c>), so one run shows everything to fix.
/// </summary>
internal sealed class SwitchboardOptionsValidator(IServiceProvider services) : IValidateOptions<SwitchboardOptions>
{
    private const string Root = SwitchboardOptions.SectionName;
    private static readonly string[] ReservedRouteKeys = [RouteTable.ConnectKey, RouteTable.DisconnectKey, RouteTable.DefaultKey];
    private static readonly TimeSpan MinIntegrationTimeout = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxIntegrationTimeout = TimeSpan.FromMinutes(15);

    public ValidateOptionsResult Validate(string? name, SwitchboardOptions options)
    {
        var errors = Collect(options, services, OpenFileLimit.Current());
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Every problem in <paramref name="options"/> for a process with <paramref name="openFileLimit"/> open files
    /// (null: no limit) and <paramref name="availableMemoryBytes"/> for the GC (null: what this process has);
    /// integration kinds and route handlers are those registered in <paramref name="services"/>.
    /// </summary>
    public static List<string> Collect(SwitchboardOptions options, IServiceProvider services, long? openFileLimit, long? availableMemoryBytes = null)
    {
        var kinds = new RegisteredIntegrationKinds(services);
        var errors = new List<string>();
        void Error(string key, string message) => errors.Add($"{Root}:{key}: {message}");

        if (string.IsNullOrEmpty(options.Stage) || !ApiPath.IsSegment(options.Stage))
        {
            Error("Stage", $"'{options.Stage}' is not a valid stage name (letters, digits, '-' and '_')");
        }

        if (options.BasePath is { Length: > 0 } basePath && !ApiPath.IsSegment(basePath))
        {
            Error("BasePath", $"'{basePath}' is not a base path: one path segment of letters, digits, '-' and '_' without slashes (\"chat\"), or \"\" for the root");
        }

        if (string.IsNullOrWhiteSpace(options.ApiId))
        {
            Error("ApiId", "must not be empty");
        }

        if (!RouteSelectionExpression.TryParse(options.RouteSelectionExpression, out _, out var expressionError))
        {
            Error("RouteSelectionExpression", expressionError!);
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var hasConnectAuthorizer = options.Routes.Any(route => route.RouteKey == RouteTable.ConnectKey && route.Authorizer is not null);
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var context = new IntegrationRouteContext(options.Routes[i].RouteKey, IsAuthorizer: false, hasConnectAuthorizer, options.StageVariables);
            ValidateRoute($"Routes:{i}", options.Routes[i], i, seen, kinds, context, Error);
        }

        ValidateLimits(options.Limits, Error);
        ValidateBudget(options, openFileLimit, availableMemoryBytes ?? MemoryLimit.AvailableBytes, Error);

        for (var i = 0; i < options.Management.AllowedOrigins.Count; i++)
        {
            if (!IsOrigin(options.Management.AllowedOrigins[i]))
            {
                Error($"Management:AllowedOrigins:{i}", $"'{options.Management.AllowedOrigins[i]}' is not a web origin (http or https, host and optional port, no path: https://admin.example.com)");
            }
        }

        NetworkOptionsValidation.Validate(options, Error);
        StageVariablesValidation.Validate(options, Error);
        ManagementAuthenticationValidation.Validate(options.Management.Authentication, Error);
        return errors;
    }

    /// <summary>What a browser sends in <c>Origin</c>: compared as text, so anything else could never match.</summary>
    internal static bool IsOrigin(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && value.TrimEnd('/').Equals(uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    private static void ValidateRoute(string key, RouteDefinition route, int index, Dictionary<string, int> seen, RegisteredIntegrationKinds kinds, IntegrationRouteContext context, Action<string, string> error)
    {
        if (string.IsNullOrEmpty(route.RouteKey))
        {
            error($"{key}:RouteKey", "must not be empty");
        }
        else if (route.RouteKey.StartsWith('$') && !ReservedRouteKeys.Contains(route.RouteKey))
        {
            error($"{key}:RouteKey", $"'{route.RouteKey}' is not a reserved route key ({string.Join(", ", ReservedRouteKeys)}), and custom keys must not start with '$'{Suggestion.For(route.RouteKey, ReservedRouteKeys)}");
        }
        else if (!seen.TryAdd(route.RouteKey, index))
        {
            error($"{key}:RouteKey", $"'{route.RouteKey}' is already defined by Routes:{seen[route.RouteKey]}");
        }

        ValidateIntegration($"{key}:Integration", route.Integration, kinds, context, error);
        if (route.Authorizer is { } authorizer)
        {
            if (route.RouteKey != RouteTable.ConnectKey)
            {
                error($"{key}:Authorizer", $"only the {RouteTable.ConnectKey} route can have an authorizer (API Gateway authorizes the handshake, not messages)");
            }

            AuthorizerOptionsValidator.Validate($"{key}:Authorizer", authorizer, (integrationKey, integration) => ValidateIntegration(integrationKey, integration, kinds, context with { IsAuthorizer = true }, error), error);
        }
    }

    /// <summary>A route's or an authorizer's integration: a registered kind, settings that kind accepts, a timeout in range.</summary>
    private static void ValidateIntegration(string integrationKey, IntegrationOptions integration, RegisteredIntegrationKinds kinds, IntegrationRouteContext context, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(integration.Type))
        {
            error($"{integrationKey}:Type", $"is required ({string.Join(" or ", kinds.Names)})");
        }
        else if (kinds.Find(integration.Type) is not { } kind)
        {
            error($"{integrationKey}:Type", $"unknown integration type '{integration.Type}' (expected {string.Join(" or ", kinds.Names)}){Suggestion.For(integration.Type, kinds.Names)}");
        }
        else
        {
            var problems = kind is IRouteDependentIntegrationKind routeDependent
                ? kind.Validate(integration).Concat(routeDependent.Validate(integration, context))
                : kind.Validate(integration);
            foreach (var problem in problems)
            {
                error($"{integrationKey}:{problem.Key}", problem.Message);
            }
        }

        if (integration.Timeout is { } timeout && (timeout < MinIntegrationTimeout || timeout > MaxIntegrationTimeout))
        {
            error($"{integrationKey}:Timeout", $"{timeout} is outside {MinIntegrationTimeout.TotalMilliseconds:0} ms to {MaxIntegrationTimeout.TotalMinutes:0} minutes");
        }
    }

    private static void ValidateBudget(SwitchboardOptions options, long? openFileLimit, long availableMemoryBytes, Action<string, string> error)
    {
        if (options.Limits.MaxConnections != 0 || options.Limits.MaxIntegrationConnectionsPerBackend <= 0 || options.Limits.MaxQueuedBytesPerNode < 0)
        {
            return;
        }

        var budget = ConnectionBudget.For(options, openFileLimit, availableMemoryBytes);
        if (budget.MaxConnections < 1 && budget.AvailableMemoryBytes is { } memory)
        {
            const long MiB = 1024 * 1024;
            error("Limits:MaxConnections", $"the memory the GC may use ({memory / MiB} MB) leaves no room for connections after {ConnectionBudget.ReservedHeapBytes / MiB} MB for the process and {OutboundBudget.BytesFor(options.Limits, memory) / MiB} MB for outbound queues (Limits:MaxQueuedBytesPerNode); raise the memory limit (DOTNET_GCHeapHardLimit, the container's) or lower Limits:MaxQueuedBytesPerNode");
        }
        else if (budget.MaxConnections < 1)
        {
            error("Limits:MaxConnections", $"the open-file limit ({openFileLimit}) leaves no room for connections after {ConnectionBudget.ReservedFiles} files for the process and {budget.IntegrationFiles} for HTTP integrations; raise it (ulimit -n) or lower Limits:MaxIntegrationConnectionsPerBackend");
        }
    }

    private static void ValidateLimits(LimitsOptions limits, Action<string, string> error)
    {
        void Positive(string name, long value)
        {
            if (value <= 0)
            {
                error($"Limits:{name}", $"must be positive (got {value})");
            }
        }

        void PositiveTime(string name, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                error($"Limits:{name}", $"must be positive (got {value})");
            }
        }

        Positive(nameof(limits.MaxMessageBytes), limits.MaxMessageBytes);
        Positive(nameof(limits.MaxFrameBytes), limits.MaxFrameBytes);
        Positive(nameof(limits.MaxPostBytes), limits.MaxPostBytes);
        Positive(nameof(limits.MaxQueuedMessagesPerConnection), limits.MaxQueuedMessagesPerConnection);
        Positive(nameof(limits.MaxQueuedBytesPerConnection), limits.MaxQueuedBytesPerConnection);
        Positive(nameof(limits.MaxInFlightMessagesPerConnection), limits.MaxInFlightMessagesPerConnection);
        Positive(nameof(limits.MaxFramesPerMessage), limits.MaxFramesPerMessage);
        Positive(nameof(limits.MaxIntegrationConnectionsPerBackend), limits.MaxIntegrationConnectionsPerBackend);
        if (limits.MaxQueuedBytesPerNode != 0 && limits.MaxQueuedBytesPerNode < limits.MaxPostBytes)
        {
            error("Limits:MaxQueuedBytesPerNode", $"must be zero (derived from the memory the GC may use) or at least Limits:MaxPostBytes ({limits.MaxPostBytes}) (got {limits.MaxQueuedBytesPerNode})");
        }

        if (limits.MaxConnections < 0)
        {
            error("Limits:MaxConnections", $"must be zero (derived from the open-file limit) or positive (got {limits.MaxConnections})");
        }
        PositiveTime(nameof(limits.IdleTimeout), limits.IdleTimeout);
        PositiveTime(nameof(limits.MaxConnectionDuration), limits.MaxConnectionDuration);
        PositiveTime(nameof(limits.CloseTimeout), limits.CloseTimeout);
        PositiveTime(nameof(limits.SlowClientTimeout), limits.SlowClientTimeout);
        PositiveTime(nameof(limits.ShutdownTimeout), limits.ShutdownTimeout);
        PositiveTime(nameof(limits.LostDisconnectRetryWindow), limits.LostDisconnectRetryWindow);
        if (limits.IntegrationTimeout < MinIntegrationTimeout || limits.IntegrationTimeout > MaxIntegrationTimeout)
        {
            error("Limits:IntegrationTimeout", $"{limits.IntegrationTimeout} is outside {MinIntegrationTimeout.TotalMilliseconds:0} ms to {MaxIntegrationTimeout.TotalMinutes:0} minutes");
        }

        if (limits.KeepAliveInterval < TimeSpan.Zero)
        {
            error("Limits:KeepAliveInterval", $"must be zero (off) or positive (got {limits.KeepAliveInterval})");
        }

        if (limits.MaxFrameBytes > limits.MaxMessageBytes && limits.MaxMessageBytes > 0)
        {
            error("Limits:MaxFrameBytes", $"{limits.MaxFrameBytes} exceeds Limits:MaxMessageBytes ({limits.MaxMessageBytes})");
        }
    }

    /// <summary>The integration kinds registered with <c>AddIntegrationKind</c> (and the built-in ones).</summary>
    private sealed class RegisteredIntegrationKinds(IServiceProvider services)
    {
        public IReadOnlyList<string> Names { get; } = services.GetServices<IntegrationKindName>().Select(kind => kind.Name).Distinct().Order(StringComparer.Ordinal).ToList();

        public IIntegrationKind? Find(string type) => services.GetKeyedService<IIntegrationKind>(IntegrationKindName.Normalize(type));
    }
}
