using Microsoft.AspNetCore.Http;
using Switchboard.Integrations;

namespace Switchboard.Routing;

/// <summary>
/// What a <c>$connect</c> result makes of the handshake, as API Gateway answers it: refused with the integration's
/// own non-2xx status, with 502 when the integration failed or chose a subprotocol that cannot be a header value,
/// with 504 when it timed out; otherwise accepted with the subprotocol the integration chose.
/// </summary>
/// <param name="RefusalStatus">The HTTP status to refuse the handshake with; null to accept it.</param>
/// <param name="SubProtocol">The <c>Sec-WebSocket-Protocol</c> to accept with; "" for none.</param>
internal readonly record struct ConnectDecision(int? RefusalStatus, string SubProtocol)
{
    public static ConnectDecision For(IntegrationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var subProtocol = result.Response?.Headers is { } headers && headers.TryGetValue("Sec-WebSocket-Protocol", out var protocol) ? protocol : "";
        int? refusal = result.Outcome switch
        {
            IntegrationOutcome.Failed => StatusCodes.Status502BadGateway,
            IntegrationOutcome.TimedOut => StatusCodes.Status504GatewayTimeout,
            _ when !result.Response!.IsSuccessStatusCode => result.Response.StatusCode,
            _ when subProtocol.AsSpan().IndexOfAnyExceptInRange('!', '~') >= 0 => StatusCodes.Status502BadGateway,
            _ => null,
        };
        return new ConnectDecision(refusal, subProtocol);
    }
}
