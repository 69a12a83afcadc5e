using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;

namespace Switchboard.Transport;

/// <summary>Applies <see cref="TransportOptions.DirectUpgrade"/> to Kestrel's endpoint defaults.</summary>
/// <remarks>Kestrel keeps one endpoint-defaults action: an application that sets its own calls <see cref="SwitchboardListenOptionsExtensions.UseSwitchboardDirectUpgrade"/> in it.</remarks>
internal sealed class DirectUpgradeKestrelSetup(IOptions<SwitchboardOptions> options) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel) =>
        kestrel.ConfigureEndpointDefaults(listen =>
        {
            if (options.Value.Transport.DirectUpgrade)
            {
                listen.UseSwitchboardDirectUpgrade();
            }
        });
}

/// <summary>
/// Caps the sockets Kestrel accepts at the node's <see cref="ConnectionBudget"/> when handshakes go through the HTTP
/// pipeline, unless the application set its own limit: a client that opens sockets and never sends a handshake must
/// not take the process to its open-file limit.
/// </summary>
/// <remarks>
/// Kestrel stops counting a connection once it is upgraded through its HTTP layer, so the cap covers only the other
/// sockets (the gateway's own count bounds the WebSockets). With direct upgrades the middleware counts every socket
/// itself (<see cref="ConnectionBudget.TryOpenSocket"/>), which costs no memory per connection.
/// </remarks>
internal sealed class ConnectionBudgetKestrelSetup(IOptions<SwitchboardOptions> options, ConnectionBudget budget) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        if (budget.IsLimited && !options.Value.Transport.DirectUpgrade && kestrel.Limits.MaxConcurrentConnections is null)
        {
            kestrel.Limits.MaxConcurrentConnections = budget.OtherSockets;
        }
    }
}
