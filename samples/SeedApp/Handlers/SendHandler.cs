using System.Text;
using SeedApp.Management;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;

namespace SeedApp.Handlers;

/// <summary>
/// The "send" route (<c>{"action":"send"}</c>), as the original Lambda function: scan the <c>webSocketConnection</c>
/// table, post <c>テスト</c> to every id through the management API, and delete the ids that answer 410 Gone
/// (connections that ended without their <c>$disconnect</c> reaching the table). Any other error fails the
/// invocation, and the client gets API Gateway's "Internal server error" frame.
/// </summary>
public sealed partial class SendHandler(
    ConnectionTable table,
    ApiGatewayManagementApiClientFactory clients,
    ManagementEndpointResolver endpoints,
    ILogger<SendHandler> logger) : IWebSocketRouteHandler
{
    /// <summary>What every connection receives.</summary>
    public const string Message = "テスト";

    private static readonly byte[] MessageUtf8 = Encoding.UTF8.GetBytes(Message);

    public async ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(routeEvent);
        var client = clients.Create(endpoints.Resolve(routeEvent));
        var connectionIds = await table.ScanAsync(cancellationToken).ConfigureAwait(false);

        await Task.WhenAll(connectionIds.Select(async connectionId =>
        {
            try
            {
                await client.PostToConnectionAsync(connectionId, MessageUtf8, cancellationToken).ConfigureAwait(false);
            }
            catch (GoneException)
            {
                LogStaleConnection(logger, connectionId);
                await table.DeleteAsync(connectionId, cancellationToken).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);

        return RouteResponse.WithBody("Data sent.");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Found stale connection, deleting {ConnectionId}")]
    private static partial void LogStaleConnection(ILogger logger, string connectionId);
}
