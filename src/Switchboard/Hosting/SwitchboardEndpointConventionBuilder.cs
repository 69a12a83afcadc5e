using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// What <c>MapSwitchboard</c> returns, as <c>MapReverseProxy</c> returns its builder: conventions added here
/// (<c>RequireAuthorization</c>, <c>RequireHost</c>, <c>RequireRateLimiting</c>, <c>RequireCors</c>, endpoint filters,
/// metadata) apply to the WebSocket endpoint and to the management endpoints; <see cref="WebSocket"/> and
/// <see cref="Management"/> take conventions for one of them.
/// </summary>
public sealed class SwitchboardEndpointConventionBuilder : IEndpointConventionBuilder
{
    internal SwitchboardEndpointConventionBuilder(IEndpointConventionBuilder webSocket, IEndpointConventionBuilder management)
    {
        WebSocket = webSocket;
        Management = management;
    }

    /// <summary>
    /// The <c>/{stage}</c> endpoint, which answers WebSocket handshakes. Its conventions apply to the handshakes that
    /// reach ASP.NET Core's HTTP pipeline — all of them unless <c>Switchboard:Transport:DirectUpgrade</c> is on, which
    /// answers handshakes below it (a warning is logged when a convention is added then).
    /// </summary>
    public IEndpointConventionBuilder WebSocket { get; }

    /// <summary>
    /// The management API under <c>/{stage}</c>: <c>@connections</c>, <c>@broadcast</c>, <c>@stats</c>. Its conventions
    /// come on top of the gateway's own access checks, which still run inside the endpoints (Host header, loopback
    /// callers only unless <c>Switchboard:Management:AllowRemote</c>, no calls from pages of other origins);
    /// an <see cref="Switchboard.Management.IManagementAccessCheck"/> attached here as metadata runs after them.
    /// Requests for another stage are answered 403 by an endpoint outside this group, whatever its conventions.
    /// </summary>
    public IEndpointConventionBuilder Management { get; }

    /// <summary>Adds <paramref name="convention"/> to the WebSocket endpoint and to every management endpoint.</summary>
    public void Add(Action<EndpointBuilder> convention)
    {
        WebSocket.Add(convention);
        Management.Add(convention);
    }

    /// <summary>Adds <paramref name="finallyConvention"/>, run after all other conventions, to every endpoint.</summary>
    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        WebSocket.Finally(finallyConvention);
        Management.Finally(finallyConvention);
    }
}
