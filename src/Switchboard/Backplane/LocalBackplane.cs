using Switchboard.Connections;

namespace Switchboard.Backplane;

/// <summary>The backplane of a single node: there are no other nodes, so every remote target is gone.</summary>
public sealed class LocalBackplane : IBackplane
{
    /// <inheritdoc />
    public ValueTask<SendStatus> SendAsync(string nodeId, string connectionId, OutboundMessage message, CancellationToken cancellationToken) =>
        ValueTask.FromResult(SendStatus.Gone);

    /// <inheritdoc />
    public ValueTask<bool> DisconnectAsync(string nodeId, string connectionId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(false);

    /// <inheritdoc />
    public ValueTask<long> BroadcastToOtherNodesAsync(OutboundMessage message, CancellationToken cancellationToken) =>
        ValueTask.FromResult(0L);
}
