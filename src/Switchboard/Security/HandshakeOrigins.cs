using Microsoft.AspNetCore.Http;

namespace Switchboard.Security;

/// <summary>
/// The web origins whose pages may open a WebSocket to the gateway (<c>Switchboard:Security:AllowedOrigins</c>). A
/// browser always sends <c>Origin</c> with a WebSocket handshake and a page cannot change it, so this is what keeps
/// pages of other sites from connecting with the visitor's cookies and network position. Clients that are not browsers
/// send no <c>Origin</c> and are let through; anything can claim any origin outside a browser.
/// </summary>
internal sealed class HandshakeOrigins(IEnumerable<string> allowedOrigins)
{
    private readonly HashSet<string> _allowed = new(allowedOrigins.Select(origin => origin.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    /// <summary>False only when a list is configured and the handshake's <c>Origin</c> is not on it.</summary>
    public bool IsAllowed(IHeaderDictionary headers)
    {
        if (_allowed.Count == 0)
        {
            return true;
        }

        var origin = headers.Origin;
        return origin.Count == 0 || (origin.Count == 1 && _allowed.Contains(origin.ToString()));
    }
}
