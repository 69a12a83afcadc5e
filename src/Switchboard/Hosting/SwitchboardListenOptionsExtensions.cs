using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Transport;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Kestrel endpoint set-up for the gateway.</summary>
public static class SwitchboardListenOptionsExtensions
{
    /// <summary>
    /// Answers WebSocket handshakes for <c>/{stage}</c> on this endpoint before Kestrel's HTTP layer (see
    /// <see cref="TransportOptions.DirectUpgrade"/>, which does this for every endpoint). Call it after <c>UseHttps</c>
    /// so the middleware sees the decrypted bytes.
    /// </summary>
    public static ListenOptions UseSwitchboardDirectUpgrade(this ListenOptions listenOptions) => listenOptions.UseSwitchboardDirectUpgrade(unless: static () => false);

    /// <summary>
    /// As <see cref="UseSwitchboardDirectUpgrade(ListenOptions)"/>, left out of the endpoint when <paramref name="unless"/>
    /// is true at the time Kestrel builds the endpoint's connection pipeline (after all configuration is applied).
    /// </summary>
    internal static ListenOptions UseSwitchboardDirectUpgrade(this ListenOptions listenOptions, Func<bool> unless)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        listenOptions.Use(next => unless() ? next : new DirectUpgradeMiddleware(next, listenOptions.ApplicationServices).OnConnectionAsync);
        return listenOptions;
    }
}
