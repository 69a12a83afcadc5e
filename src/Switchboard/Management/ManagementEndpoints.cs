using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Diagnostics;
using Switchboard.Registry;

namespace Switchboard.Management;

/// <summary>
/// Maps the management API to HTTP, wire-compatible with API Gateway's <c>ApiGatewayManagementApi</c>
/// (status codes, <c>x-amzn-ErrorType</c>, <c>x-amzn-RequestId</c>, JSON bodies), plus Switchboard's
/// extensions: listing, broadcast and stats. Only HTTP mapping lives here; behaviour is in <see cref="ConnectionManager"/>.
/// </summary>
internal static class ManagementEndpoints
{
    private const string ConnectionsSegment = "@connections";

    public static void Map(IEndpointRouteBuilder endpoints, string stage)
    {
        var group = endpoints.MapGroup("/" + stage).AddEndpointFilter(RequireAllowedCaller);
        group.MapPost($"/{ConnectionsSegment}/{{connectionId}}", PostToConnectionAsync);
        group.MapGet($"/{ConnectionsSegment}/{{connectionId}}", GetConnectionAsync);
        group.MapDelete($"/{ConnectionsSegment}/{{connectionId}}", DeleteConnectionAsync);
        group.MapGet($"/{ConnectionsSegment}", ListConnectionsAsync);
        group.MapPost("/@broadcast", BroadcastAsync);
        group.MapGet("/@stats", GetStats);

        // Any other stage answers like API Gateway does for a wrong stage or path.
        endpoints.MapMethods($"/{{otherStage}}/{ConnectionsSegment}/{{**rest}}", ["GET", "POST", "DELETE"], Forbidden);
    }

    private static async ValueTask<object?> RequireAllowedCaller(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        context.Response.Headers["x-amzn-RequestId"] = ConnectionId.New();
        var remote = context.Connection.RemoteIpAddress;
        var options = context.RequestServices.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
        if (options.Management.AllowRemote || remote is null || IPAddress.IsLoopback(remote))
        {
            try
            {
                return await next(invocation).ConfigureAwait(false);
            }
            catch (RegistryUnavailableException exception)
            {
                // A clustered registry or backplane that cannot be reached: the outcome is unknown, so no 410;
                // SDKs retry 5xx.
                var unavailableLogger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ManagementEndpoints));
                Log.RegistryUnavailableOnManagement(unavailableLogger, context.Request.Method, exception);
                return AwsError(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailableException", exception.Message);
            }
        }

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ManagementEndpoints));
        Log.RemoteManagementRefused(logger, remote.ToString());
        return AwsError(StatusCodes.Status403Forbidden, "ForbiddenException", null);
    }

    private static async Task<IResult> PostToConnectionAsync(string connectionId, HttpRequest request, ConnectionManager manager, CancellationToken cancellationToken)
    {
        if (!TryParseId(connectionId, out var id, out var invalid))
        {
            return invalid;
        }

        var body = await ReadBodyAsync(request, manager.MaxPostBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return PayloadTooLarge(manager.MaxPostBytes);
        }

        return await manager.PostAsync(id, body, cancellationToken).ConfigureAwait(false) switch
        {
            PostResult.Delivered => Results.Ok(),
            PostResult.PayloadTooLarge => PayloadTooLarge(manager.MaxPostBytes),
            PostResult.LimitExceeded => AwsError(StatusCodes.Status429TooManyRequests, "LimitExceededException", null),
            _ => Gone(),
        };
    }

    private static async Task<IResult> GetConnectionAsync(string connectionId, ConnectionManager manager, CancellationToken cancellationToken)
    {
        if (!TryParseId(connectionId, out var id, out var invalid))
        {
            return invalid;
        }

        var info = await manager.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return info is null ? Gone() : Json(writer => WriteConnection(writer, info, includeId: false));
    }

    private static async Task<IResult> DeleteConnectionAsync(string connectionId, ConnectionManager manager, CancellationToken cancellationToken)
    {
        if (!TryParseId(connectionId, out var id, out var invalid))
        {
            return invalid;
        }

        return await manager.DisconnectAsync(id, cancellationToken).ConfigureAwait(false) ? Results.NoContent() : Gone();
    }

    private static async Task<IResult> ListConnectionsAsync(HttpRequest request, ConnectionManager manager, CancellationToken cancellationToken)
    {
        var limit = 100;
        if (request.Query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            return BadRequest("limit must be an integer from 1 to 1000");
        }

        string? nextToken = request.Query.TryGetValue("nextToken", out var token) ? token.ToString() : null;
        if (nextToken is not null && !ConnectionId.IsWellFormed(nextToken))
        {
            return BadRequest($"Invalid nextToken: {nextToken}");
        }

        var (items, next) = await manager.ListAsync(limit, nextToken, cancellationToken).ConfigureAwait(false);
        return Json(writer =>
        {
            writer.WriteStartArray("items");
            foreach (var item in items)
            {
                WriteConnection(writer, item, includeId: true);
            }

            writer.WriteEndArray();
            writer.WriteString("nextToken", next);
        });
    }

    private static async Task<IResult> BroadcastAsync(HttpRequest request, ConnectionManager manager, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(request, manager.MaxPostBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return PayloadTooLarge(manager.MaxPostBytes);
        }

        var recipients = await manager.BroadcastAsync(body, cancellationToken).ConfigureAwait(false);
        return Json(writer => writer.WriteNumber("recipients", recipients));
    }

    private static IResult GetStats(ConnectionManager manager)
    {
        var stats = manager.GetStats();
        return Json(writer =>
        {
            writer.WriteNumber("connections", stats.Connections);
            writer.WriteNumber("messagesIn", stats.MessagesIn);
            writer.WriteNumber("messagesOut", stats.MessagesOut);
        });
    }

    private static IResult Forbidden(HttpContext context)
    {
        context.Response.Headers["x-amzn-RequestId"] = ConnectionId.New();
        return AwsError(StatusCodes.Status403Forbidden, "ForbiddenException", null);
    }

    /// <summary>Ids arrive percent-decoded except <c>%2F</c>; anything not shaped like our ids is a 400, as on API Gateway.</summary>
    private static bool TryParseId(string raw, out string id, out IResult invalid)
    {
        id = raw.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(raw) : raw;
        invalid = null!;
        if (ConnectionId.IsWellFormed(id))
        {
            return true;
        }

        invalid = BadRequest($"Invalid connectionId: {id}");
        return false;
    }

    /// <summary>Reads the body; null when it exceeds <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        if (request.ContentLength is { } length)
        {
            // The common case: read exactly the announced bytes into their final array.
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, cancellationToken).ConfigureAwait(false);
            return exact;
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, limit) + 1);
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

    private static IResult Gone() => AwsError(StatusCodes.Status410Gone, "GoneException", null);

    private static IResult BadRequest(string message) => AwsError(StatusCodes.Status400BadRequest, "BadRequestException", message);

    private static IResult PayloadTooLarge(int limit) =>
        AwsError(StatusCodes.Status413PayloadTooLarge, "PayloadTooLargeException", $"Request data must not exceed {limit} bytes");

    /// <summary>
    /// An error the AWS SDKs recognise: the type in <c>x-amzn-ErrorType</c>; the body empty (as API Gateway
    /// sends 410/403/429) or a JSON object with a message.
    /// </summary>
    private static AwsErrorResult AwsError(int status, string errorType, string? message) => new(status, errorType, message);

    private static void WriteConnection(Utf8JsonWriter writer, ConnectionInfo info, bool includeId)
    {
        if (includeId)
        {
            writer.WriteStartObject();
            writer.WriteString("connectionId", info.ConnectionId);
        }

        writer.WriteString("connectedAt", FormatTimestamp(info.ConnectedAt));
        writer.WriteStartObject("identity");
        writer.WriteString("sourceIp", info.SourceIp);
        if (info.UserAgent is not null)
        {
            writer.WriteString("userAgent", info.UserAgent);
        }

        writer.WriteEndObject();
        writer.WriteString("lastActiveAt", FormatTimestamp(info.LastActiveAt));
        if (includeId)
        {
            writer.WriteEndObject();
        }
    }

    /// <summary>ISO 8601 with milliseconds, which the SDKs' RFC 3339 parsers accept.</summary>
    private static string FormatTimestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static IResult Json(Action<Utf8JsonWriter> writeMembers)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, Events.ProxyEventWriter.WriterOptions))
        {
            writer.WriteStartObject();
            writeMembers(writer);
            writer.WriteEndObject();
        }

        return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
    }

    private sealed class AwsErrorResult(int status, string errorType, string? message) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers["x-amzn-ErrorType"] = errorType;
            if (message is null)
            {
                return;
            }

            httpContext.Response.ContentType = "application/json";
            await httpContext.Response.WriteAsync(JsonSerializer.Serialize(new ErrorBody(message), ErrorBodyContext.Default.ErrorBody), httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
