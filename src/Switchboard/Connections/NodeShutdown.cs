using Microsoft.Extensions.Hosting;

namespace Switchboard.Connections;

/// <summary>
/// Whether the node has begun to shut down. The host runs the gateway's drain (closing every connection, waiting for
/// their <c>$disconnect</c>) in <see cref="IHostedLifecycleService.StoppingAsync"/>, which comes before
/// <see cref="IHostApplicationLifetime.ApplicationStopping"/> fires; the drain marks the start here so that readiness
/// fails and new handshakes are refused for all of it, not only once it is over.
/// </summary>
internal sealed class NodeShutdown(IHostApplicationLifetime lifetime)
{
    private volatile bool _draining;

    /// <summary>True from the start of the drain, or once the host signalled it is stopping, whichever came first.</summary>
    public bool HasBegun => _draining || lifetime.ApplicationStopping.IsCancellationRequested;

    /// <summary>Called by the drain as its first step.</summary>
    public void Begin() => _draining = true;
}
