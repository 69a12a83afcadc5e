using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Backplane;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Diagnostics;
using Switchboard.Management.Authentication;
using Switchboard.Registry;
using Switchboard.Security;

namespace Switchboard.Management;

/// <summary>
/// Maps the management API to HTTP, wire-compatible with API Gateway's <c>ApiGatewayManagementApi</c>
/// (status codes, <c>x-amzn-ErrorType</c>, <c>x-amzn-RequestId</c>, JSON bodies), plus Switchboard's
/// extensions: listing, broadcast and stats. Only HTTP mapping lives here; behaviour is in <see cref="ConnectionManager"/>,
/// who may call in the <see cref="IManagementAccessCheck"/>s attached to the endpoints.
/// </summary>
internal sealed class ManagementEndpoints
{
    /// <summary>A caller can repeat a refused call as fast as it likes; its warning is written at most this often.</summary>
    internal static readonly TimeSpan RefusalLogInterval = LogThrottle.RefusalInterval;

    private const string ConnectionsSegment = "@connections";
    private const string ConnectionIdRouteValue = "connectionId";
    private const string RequestIdHeader = "x-amzn-RequestId";

    private readonly ConnectionManager _manager;
    private readonly ILogger _logger;
    private readonly ManagementCors _cors;
    private readonly SwitchboardMetrics _metrics;

    private ManagementEndpoints(ConnectionManager manager, ILogger logger, ManagementCors cors, SwitchboardMetrics metrics)
    {
        _manager = manager;
        _logger = logger;
        _cors = cors;
        _metrics = metrics;
    }

    /// <summary>
    /// Maps the endpoints under <paramref name="prefix"/> (<c>/{stage}</c>, <c>/{basePath}</c>, or "" for the root) as one group, with the default access checks as its metadata, and
    /// returns the group for the application's conventions. The endpoints are plain request delegates with their
    /// services resolved once here: no parameter binding, endpoint filter or request-scoped service lookups on the way
    /// to <see cref="ConnectionManager"/> unless the application adds them.
    /// </summary>
    public static IEndpointConventionBuilder Map(IEndpointRouteBuilder endpoints, string prefix)
    {
        var services = endpoints.ServiceProvider;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<ManagementEndpoints>();
        var allowedOrigins = services.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Management.AllowedOrigins;
        var api = new ManagementEndpoints(services.GetRequiredService<ConnectionManager>(), logger, new ManagementCors(allowedOrigins), services.GetRequiredService<SwitchboardMetrics>());
        var group = endpoints.MapGroup(prefix);
        group.MapPost($"/{ConnectionsSegment}/{{{ConnectionIdRouteValue}}}", (RequestDelegate)api.PostToConnectionAsync).WithMetadata(new ManagementOperation("PostToConnection"));
        group.MapGet($"/{ConnectionsSegment}/{{{ConnectionIdRouteValue}}}", (RequestDelegate)api.GetConnectionAsync).WithMetadata(new ManagementOperation("GetConnection"));
        group.MapDelete($"/{ConnectionsSegment}/{{{ConnectionIdRouteValue}}}", (RequestDelegate)api.DeleteConnectionAsync).WithMetadata(new ManagementOperation("DeleteConnection"));
        group.MapGet($"/{ConnectionsSegment}", (RequestDelegate)api.ListConnectionsAsync).WithMetadata(new ManagementOperation("ListConnections"));
        group.MapPost("/@broadcast", (RequestDelegate)api.BroadcastAsync).WithMetadata(new ManagementOperation("Broadcast"));
        group.MapGet("/@stats", (RequestDelegate)api.GetStatsAsync).WithMetadata(new ManagementOperation("GetStats"));
        group.WithMetadata([.. DefaultChecks(services, logger)]);
        // Last, so that it sees the checks the application attaches after MapSwitchboard and wraps its filters too.
        ((IEndpointConventionBuilder)group).Finally(api.RunChecksFirst);

        if (allowedOrigins.Count > 0)
        {
            // Outside the group: a preflight carries no credentials, so the access checks would refuse it; it changes nothing.
            api.MapPreflight(endpoints, prefix, $"/{ConnectionsSegment}/{{{ConnectionIdRouteValue}}}", ["GET", "POST", "DELETE"]);
            api.MapPreflight(endpoints, prefix, $"/{ConnectionsSegment}", ["GET"]);
            api.MapPreflight(endpoints, prefix, "/@broadcast", ["POST"]);
            api.MapPreflight(endpoints, prefix, "/@stats", ["GET"]);
        }

        // Any other stage answers like API Gateway does for a wrong stage or path.
        endpoints.MapMethods($"/{{otherStage}}/{ConnectionsSegment}/{{**rest}}", ["GET", "POST", "DELETE"], Forbidden);
        return group;
    }

    /// <summary>
    /// The gateway's own checks, in the order they run: the Host, the caller's address, the page's origin, the caller's
    /// signature or key when credentials or API keys are configured, and the rate limit (last, so that refused or
    /// unauthenticated callers do not use up the calls of those allowed).
    /// </summary>
    private static IEnumerable<IManagementAccessCheck> DefaultChecks(IServiceProvider services, ILogger logger)
    {
        var options = services.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Management;
        var time = services.GetRequiredService<TimeProvider>();
        var proxies = services.GetRequiredService<TrustedProxies>();
        yield return new AllowedHostCheck(services.GetRequiredService<AllowedHosts>());
        if (!options.AllowRemote)
        {
            yield return new LoopbackCallerCheck(proxies, logger, time);
        }

        yield return new CrossSiteCheck(options.AllowedOrigins, proxies, logger, time);
        if (options.Authentication.IsEnabled)
        {
            var authentication = options.Authentication;
            Log.ManagementAuthenticationEnabled(logger, authentication.Credentials.Count, authentication.Region, authentication.ApiKeys.Count);
            yield return new ManagementAuthenticationCheck(authentication, () => services.GetRequiredService<ConnectionManager>().MaxPostBytes, logger, time);
        }

        yield return new ManagementRateLimitCheck(services.GetRequiredService<RateLimiting.GatewayRateLimits>(), services.GetRequiredService<SwitchboardMetrics>(), logger, time);
    }

    private void MapPreflight(IEndpointRouteBuilder endpoints, string prefix, string path, string[] methods) =>
        endpoints.MapMethods(prefix + path, [HttpMethods.Options], context => _cors.PreflightAsync(context, methods));

    /// <summary>
    /// Makes an endpoint go through what every management call goes through: its own request id, the access checks
    /// among its metadata in order, 503 when a clustered registry or backplane cannot be reached, and its time and status
    /// recorded by operation.
    /// </summary>
    private void RunChecksFirst(EndpointBuilder endpoint)
    {
        var checks = endpoint.Metadata.OfType<IManagementAccessCheck>().ToArray();
        var operation = endpoint.Metadata.OfType<ManagementOperation>().LastOrDefault()?.Name ?? "Other";
        var next = endpoint.RequestDelegate ?? throw new InvalidOperationException($"The management endpoint {endpoint.DisplayName} has no request delegate.");
        endpoint.RequestDelegate = context => RunAsync(context, checks, next, operation);
    }

    private async Task RunAsync(HttpContext context, IManagementAccessCheck[] checks, RequestDelegate next, string operation)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var requestId = ConnectionId.New();
        context.Response.Headers[RequestIdHeader] = requestId;
        using var activity = SwitchboardActivities.StartManagement(operation, requestId);
        if (activity is not null && context.Request.RouteValues.TryGetValue(ConnectionIdRouteValue, out var connectionId) && connectionId is string id)
        {
            activity.SetTag(SwitchboardActivities.ConnectionIdTag, id);
        }

        // Before the checks, so that a listed origin's scripts can read a refusal too.
        _cors.AddResponseHeaders(context);
        try
        {
            foreach (var check in checks)
            {
                if (await check.CheckAsync(context).ConfigureAwait(false) is { } refusal)
                {
                    await refusal.WriteAsync(context).ConfigureAwait(false);
                    return;
                }
            }

            await next(context).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException exception)
        {
            // The outcome is unknown, so no 410; SDKs retry 5xx. Endpoints write nothing before their last await.
            Log.RegistryUnavailableOnManagement(_logger, context.Request.Method, exception);
            await ManagementError.ServiceUnavailable(exception.Message).WriteAsync(context).ConfigureAwait(false);
        }
        finally
        {
            _metrics.ManagementCompleted(operation, context.Response.StatusCode, started);
            SwitchboardActivities.ManagementCompleted(activity, context.Response.StatusCode);
        }
    }

    /// <summary>The hot path: the body read straight from the request pipe, 200 with no body and nothing allocated for it.</summary>
    private async Task PostToConnectionAsync(HttpContext context)
    {
        if (!TryParseId(context, out var id))
        {
            await InvalidIdAsync(context, id).ConfigureAwait(false);
            return;
        }

        var cancellationToken = context.RequestAborted;
        var body = await ReadBodyAsync(context.Request, _manager.MaxPostBytes, cancellationToken).ConfigureAwait(false);
        var result = body is null
            ? PostResult.PayloadTooLarge
            : await _manager.PostAsync(id, body, cancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case PostResult.Delivered:
                // 200 is the default status; Kestrel answers with Content-Length: 0.
                return;
            case PostResult.PayloadTooLarge:
                await PayloadTooLargeAsync(context).ConfigureAwait(false);
                return;
            case PostResult.LimitExceeded:
                await ManagementError.LimitExceeded.WriteAsync(context).ConfigureAwait(false);
                return;
            case PostResult.Unknown:
                await OutcomeUnknownAsync(context, "post").ConfigureAwait(false);
                return;
            default:
                await GoneAsync(context).ConfigureAwait(false);
                return;
        }
    }

    private async Task GetConnectionAsync(HttpContext context)
    {
        if (!TryParseId(context, out var id))
        {
            await InvalidIdAsync(context, id).ConfigureAwait(false);
            return;
        }

        var connection = await _manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false);
        await (connection is null
            ? GoneAsync(context)
            : WriteJsonAsync(context, GetConnectionResponse.From(connection), ManagementJsonContext.Relaxed.GetConnectionResponse)).ConfigureAwait(false);
    }

    private async Task DeleteConnectionAsync(HttpContext context)
    {
        if (!TryParseId(context, out var id))
        {
            await InvalidIdAsync(context, id).ConfigureAwait(false);
            return;
        }

        switch (await _manager.DisconnectAsync(id, context.RequestAborted).ConfigureAwait(false))
        {
            case DisconnectStatus.Closing:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            case DisconnectStatus.Unknown:
                await OutcomeUnknownAsync(context, "delete").ConfigureAwait(false);
                return;
            default:
                await GoneAsync(context).ConfigureAwait(false);
                return;
        }
    }

    private async Task ListConnectionsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var limit = 100;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            await BadRequestAsync(context, "limit must be an integer from 1 to 1000").ConfigureAwait(false);
            return;
        }

        string? nextToken = query.TryGetValue("nextToken", out var token) ? token.ToString() : null;
        if (nextToken is not null && !ConnectionId.IsWellFormed(nextToken))
        {
            await BadRequestAsync(context, $"Invalid nextToken: {nextToken}").ConfigureAwait(false);
            return;
        }

        var (items, next) = await _manager.ListAsync(limit, nextToken, context.RequestAborted).ConfigureAwait(false);
        var page = new ListConnectionsResponse(items.Select(ListedConnection.From).ToList(), next);
        await WriteJsonAsync(context, page, ManagementJsonContext.Relaxed.ListConnectionsResponse).ConfigureAwait(false);
    }

    private async Task BroadcastAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var body = await ReadBodyAsync(context.Request, _manager.MaxPostBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            await PayloadTooLargeAsync(context).ConfigureAwait(false);
            return;
        }

        var recipients = await _manager.BroadcastAsync(body, cancellationToken).ConfigureAwait(false);
        await WriteJsonAsync(context, new BroadcastResponse(recipients), ManagementJsonContext.Relaxed.BroadcastResponse).ConfigureAwait(false);
    }

    private Task GetStatsAsync(HttpContext context) =>
        WriteJsonAsync(context, _manager.GetStats(), ManagementJsonContext.Relaxed.GatewayStats);

    private static Task Forbidden(HttpContext context)
    {
        context.Response.Headers[RequestIdHeader] = ConnectionId.New();
        return ManagementError.Forbidden.WriteAsync(context);
    }

    /// <summary>
    /// The id decoded exactly once, from the request target as sent: the route value is already decoded (except
    /// <c>%2F</c>), so decoding it again would turn <c>%253D</c> into <c>=</c>. Anything not shaped like our ids is a
    /// 400, as on API Gateway.
    /// </summary>
    private static bool TryParseId(HttpContext context, out string id)
    {
        var decoded = (string)context.Request.RouteValues[ConnectionIdRouteValue]!;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!decoded.Contains('%', StringComparison.Ordinal) || string.IsNullOrEmpty(target))
        {
            id = decoded;
        }
        else
        {
            // The id is the target's last segment: the route has nothing after it, and a '/' in it would be %2F.
            var path = target.AsSpan(0, target.IndexOf('?', StringComparison.Ordinal) is var query and >= 0 ? query : target.Length);
            id = Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]);
        }

        return ConnectionId.IsWellFormed(id);
    }

    /// <summary>Reads the body; null when it exceeds <paramref name="limit"/>.</summary>
    private static async ValueTask<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } length)
        {
            return length > limit ? null : await ReadExactlyAsync(request.BodyReader, (int)length, cancellationToken).ConfigureAwait(false);
        }

        // Chunked: read to the end into a growing buffer, stopping once past the limit.
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            var read = await request.Body.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// The common case: copies the announced bytes from Kestrel's pipe into their final array. Kestrel ends the
    /// body at Content-Length, so nothing can follow them.
    /// </summary>
    private static async ValueTask<byte[]> ReadExactlyAsync(PipeReader reader, int length, CancellationToken cancellationToken)
    {
        var body = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var take = (int)Math.Min(buffer.Length, length - filled);
            buffer.Slice(0, take).CopyTo(body.AsSpan(filled));
            filled += take;
            reader.AdvanceTo(buffer.GetPosition(take));
            if (result.IsCompleted && filled < length)
            {
                throw new EndOfStreamException($"The request body ended after {filled} of {length} bytes.");
            }
        }

        return body;
    }

    private static Task GoneAsync(HttpContext context) => ManagementError.Gone.WriteAsync(context);

    private static Task InvalidIdAsync(HttpContext context, string id) => BadRequestAsync(context, $"Invalid connectionId: {id}");

    private static Task BadRequestAsync(HttpContext context, string message) => ManagementError.BadRequest(message).WriteAsync(context);

    private Task PayloadTooLargeAsync(HttpContext context) =>
        new ManagementError(StatusCodes.Status413PayloadTooLarge, "PayloadTooLargeException", $"Request data must not exceed {_manager.MaxPostBytes} bytes").WriteAsync(context);

    /// <summary>The node that holds the connection did not answer in time: 503, as for an unreachable registry (SDKs retry it), never 410.</summary>
    private static Task OutcomeUnknownAsync(HttpContext context, string operation) =>
        ManagementError.ServiceUnavailable($"The node that holds the connection did not answer the {operation} in time; whether it happened is unknown").WriteAsync(context);

    /// <summary>A 200 JSON body, announced with its length.</summary>
    private static Task WriteJsonAsync<T>(HttpContext context, T value, JsonTypeInfo<T> typeInfo)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        var response = context.Response;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
