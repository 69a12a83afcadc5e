using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;

namespace Switchboard.Transport;

/// <summary>Applies <see cref="TransportOptions.DirectUpgrade"/> to Kestrel's endpoints, with TLS or without.</summary>
/// <remarks>
/// Kestrel keeps one endpoint-defaults action: an application that sets its own calls
/// <see cref="SwitchboardListenOptionsExtensions.UseSwitchboardDirectUpgrade(ListenOptions)"/> in it.
/// Endpoint defaults run before Kestrel adds TLS to an endpoint, so a middleware added there would see encrypted bytes
/// and pass every handshake on to the HTTP layer. For an https endpoint of the <c>Kestrel:Endpoints</c> section this
/// setup therefore adds TLS itself, with the options Kestrel loaded for that endpoint (certificate, protocols), and the
/// direct-upgrade middleware after it; Kestrel then adds no second TLS layer, and the defaults' middleware of that
/// endpoint is left out. Endpoints with SNI settings, and https addresses given as <c>urls</c>, keep the HTTP pipeline
/// for handshakes (logged at startup).
/// </remarks>
internal sealed class DirectUpgradeKestrelSetup(IOptions<SwitchboardOptions> options, IConfiguration configuration, ILoggerFactory loggers) : IConfigureOptions<KestrelServerOptions>
{
    /// <summary>Endpoints whose direct upgrade runs inside their TLS layer (added by the endpoint's own callback).</summary>
    private readonly ConditionalWeakTable<ListenOptions, object> _upgradedInsideTls = [];

    public void Configure(KestrelServerOptions kestrel)
    {
        if (!options.Value.Transport.DirectUpgrade)
        {
            return;
        }

        kestrel.ConfigureEndpointDefaults(listen => listen.UseSwitchboardDirectUpgrade(unless: () => _upgradedInsideTls.TryGetValue(listen, out _)));
        var endpoints = kestrel.ConfigurationLoader?.Configuration.GetSection("Endpoints").GetChildren().ToList() ?? [];
        // Kestrel binds the configured endpoints instead of the urls when there are any.
        if (endpoints.Count == 0 && (configuration["urls"] ?? "").Split(';').FirstOrDefault(url => url.Trim().StartsWith("https:", StringComparison.OrdinalIgnoreCase)) is { } httpsUrl)
        {
            Log.DirectUpgradeNotUnderTls(loggers.CreateLogger(Log.HostingCategory), httpsUrl.Trim(), "it is given as urls; configure it as Kestrel:Endpoints:<name>:Url with its Certificate instead");
        }

        foreach (var endpoint in endpoints)
        {
            kestrel.ConfigurationLoader!.Endpoint(endpoint.Key, configured =>
            {
                if (!configured.IsHttps)
                {
                    return;
                }

                if (configured.ConfigSection.GetSection("Sni").GetChildren().Any())
                {
                    Log.DirectUpgradeNotUnderTls(loggers.CreateLogger(Log.HostingCategory), configured.ConfigSection["Url"] ?? endpoint.Key, $"Kestrel:Endpoints:{endpoint.Key} has Sni settings");
                    return;
                }

                _upgradedInsideTls.AddOrUpdate(configured.ListenOptions, this);
                configured.ListenOptions.UseHttps(configured.HttpsOptions);
                configured.ListenOptions.UseSwitchboardDirectUpgrade();
            });
        }
    }
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
