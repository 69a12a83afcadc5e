using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Backplane;
using Switchboard.Registry;

namespace Switchboard.Redis;

/// <summary>
/// The clustered backplane on Redis pub/sub: every node subscribes to its own inbox channel and to the broadcast channel.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A post or delete for a connection on another node is a request to that node's inbox with a correlation id;
/// the owning node queues (or closes) with its <see cref="LocalDelivery"/> and answers Queued / Gone / QueueFull, so 200
/// still means "in the connection's queue on its node". No answer within <see cref="RedisScaleOutOptions.RequestTimeout"/>
/// (or before this node stops) is <see cref="SendStatus.Unknown"/> / <see cref="DisconnectStatus.Unknown"/> (503: the
/// outcome is unknown). A node with nobody listening on its inbox is gone (410), unless its liveness key says it is
/// alive (then <see cref="RegistryUnavailableException"/>, 503).</item>
/// <item>Ordering: a node publishes everything over its one multiplexer connection, Redis delivers one publisher's
/// messages to a subscriber in order, and each node handles its inbox sequentially, queueing synchronously. So
/// messages one node accepts for one connection reach the connection's queue in the order accepted.</item>
/// <item>Broadcast: published once, whatever the number of nodes and connections; each other node fans it out to its
/// own connections (encoded once per node) and answers with its count. The count returned sums the answers of every
/// node the message reached (Redis says how many) that arrive within the request timeout: exact normally, a lower
/// bound when a node is slow.</item>
/// <item>A forwarded post or delete carries a deadline (the sender's clock plus the request timeout); a node that
/// only gets to it later (it was stalled: a long pause, a frozen VM) drops it, since its sender has answered 503 by
/// then. This assumes the nodes' clocks agree to well within the request timeout (NTP).</item>
/// <item>Delivery is at most once: nothing is stored, a node that is down misses what was sent meanwhile.</item>
/// </list>
/// </remarks>
public sealed class RedisBackplane : IBackplane, IHostedService
{
    /// <summary>The owning node's answer to a forwarded delete when it has begun closing the connection (0: not held).</summary>
    private const long ClosingReply = 1;

    /// <summary>How long start-up waits between subscription attempts while the first connection is not up.</summary>
    private static readonly TimeSpan SubscribeRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly RedisConnection _redis;
    private readonly RedisKeys _keys;
    private readonly LocalDelivery _delivery;
    private readonly NodeIdentity _node;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisBackplane> _logger;
    private readonly ConcurrentDictionary<long, PendingReply> _pending = new();
    private ChannelMessageQueue? _inbox;
    private ChannelMessageQueue? _broadcasts;
    private long _nextCorrelationId;

    internal RedisBackplane(RedisConnection redis, LocalDelivery delivery, IOptions<RedisScaleOutOptions> options, NodeIdentity node, TimeProvider time, ILogger<RedisBackplane> logger)
    {
        _time = time;
        _redis = redis;
        _keys = redis.Keys;
        _delivery = delivery;
        _node = node;
        _timeout = options.Value.RequestTimeout;
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var subscriber = _redis.Subscriber;
        // The multiplexer connects in the background (it does not abort on a failed first connect), so right after
        // start-up a subscription can find no connection yet: retry until RequestTimeout before giving up.
        var deadline = _time.GetUtcNow() + _timeout;
        while (true)
        {
            try
            {
                // StackExchange.Redis keeps these subscriptions and renews them after every reconnect.
                _inbox ??= await subscriber.SubscribeAsync(_keys.Inbox(_node.Id)).ConfigureAwait(false);
                _broadcasts ??= await subscriber.SubscribeAsync(_keys.Broadcast).ConfigureAwait(false);
                break;
            }
            catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
            {
                if (_time.GetUtcNow() >= deadline)
                {
                    throw new RegistryUnavailableException("Could not subscribe to the backplane channels", exception);
                }

                await Task.Delay(SubscribeRetryDelay, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        // Sequential handlers: the order of one channel is the order of delivery into the connections' queues.
        _inbox.OnMessage(OnInboxMessage);
        _broadcasts.OnMessage(OnBroadcastMessage);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var queue in new[] { _inbox, _broadcasts })
        {
            if (queue is null)
            {
                continue;
            }

            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
            {
                // The multiplexer closes next; the subscription goes with it.
            }
        }

        foreach (var pending in _pending.Values)
        {
            pending.Cancel();
        }
    }

    /// <inheritdoc />
    public async ValueTask<SendStatus> SendAsync(string nodeId, string connectionId, OutboundMessage message, CancellationToken cancellationToken)
    {
        var correlationId = Interlocked.Increment(ref _nextCorrelationId);
        var reply = await RequestAsync(nodeId, "post", correlationId, BackplaneMessage.Send(correlationId, Deadline(), _node.Id, connectionId, message.Payload.Span), cancellationToken).ConfigureAwait(false);
        return reply.Outcome switch
        {
            RequestOutcome.Answered when Enum.IsDefined((SendStatus)reply.Value) => (SendStatus)reply.Value,
            RequestOutcome.NoAnswer => SendStatus.Unknown,
            _ => SendStatus.Gone,
        };
    }

    /// <inheritdoc />
    public async ValueTask<DisconnectStatus> DisconnectAsync(string nodeId, string connectionId, CancellationToken cancellationToken)
    {
        var correlationId = Interlocked.Increment(ref _nextCorrelationId);
        var reply = await RequestAsync(nodeId, "delete", correlationId, BackplaneMessage.Disconnect(correlationId, Deadline(), _node.Id, connectionId), cancellationToken).ConfigureAwait(false);
        return reply.Outcome switch
        {
            RequestOutcome.Answered when reply.Value == ClosingReply => DisconnectStatus.Closing,
            RequestOutcome.NoAnswer => DisconnectStatus.Unknown,
            _ => DisconnectStatus.Gone,
        };
    }

    /// <inheritdoc />
    public async ValueTask<long> BroadcastToOtherNodesAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var correlationId = Interlocked.Increment(ref _nextCorrelationId);
        var replies = new BroadcastReplies();
        _pending[correlationId] = replies;
        try
        {
            long receivers;
            try
            {
                receivers = await _redis.Subscriber.PublishAsync(_keys.Broadcast, BackplaneMessage.Broadcast(correlationId, _node.Id, message.Payload.Span)).ConfigureAwait(false);
            }
            catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
            {
                throw new RegistryUnavailableException("Redis is unavailable: the broadcast reached this node's connections only", exception);
            }

            // Every node is subscribed to the broadcast channel, this one included (it ignores its own broadcasts).
            var expected = (int)Math.Max(0, receivers - (_redis.Subscriber.IsConnected(_keys.Broadcast) ? 1 : 0));
            if (!await replies.ExpectAsync(expected, _timeout, _time, cancellationToken).ConfigureAwait(false))
            {
                RedisLog.BroadcastPartial(_logger, correlationId, replies.Answered, expected, _timeout);
            }

            return replies.Recipients;
        }
        finally
        {
            _pending.TryRemove(correlationId, out _);
        }
    }

    /// <summary>
    /// Publishes a request to a node's inbox and waits for its answer: <see cref="RequestOutcome.NodeGone"/> when nobody
    /// listens there and the node is dead, <see cref="RequestOutcome.NoAnswer"/> when the answer did not come in time.
    /// </summary>
    private async Task<(RequestOutcome Outcome, long Value)> RequestAsync(string nodeId, string operation, long correlationId, byte[] request, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest();
        _pending[correlationId] = pending;
        try
        {
            var receivers = await _redis.Subscriber.PublishAsync(_keys.Inbox(nodeId), request).ConfigureAwait(false);
            if (receivers == 0)
            {
                // Nobody listens: the node is gone, unless it is alive and only its subscription is down for a moment.
                if (await _redis.Database.KeyExistsAsync(_keys.Alive(nodeId)).ConfigureAwait(false))
                {
                    throw new RegistryUnavailableException($"Node {nodeId} is alive but does not receive backplane messages at the moment");
                }

                return (RequestOutcome.NodeGone, 0);
            }

            // Null: this node stopped before the answer came.
            var answer = await pending.Task.WaitAsync(_timeout, _time, cancellationToken).ConfigureAwait(false);
            return answer is { } value ? (RequestOutcome.Answered, value) : (RequestOutcome.NoAnswer, 0);
        }
        catch (TimeoutException)
        {
            RedisLog.RequestTimedOut(_logger, nodeId, operation, _timeout);
            return (RequestOutcome.NoAnswer, 0);
        }
        catch (Exception exception) when (exception is not RegistryUnavailableException && RedisConnectionRegistry.IsRedisFailure(exception))
        {
            throw new RegistryUnavailableException($"Redis is unavailable, could not forward the {operation} to node {nodeId}", exception);
        }
        finally
        {
            _pending.TryRemove(correlationId, out _);
        }
    }

    private void OnInboxMessage(ChannelMessage channelMessage)
    {
        try
        {
            if (!BackplaneMessage.TryParse((byte[])channelMessage.Message!, out var message))
            {
                return;
            }

            if (message.Kind is BackplaneMessageKind.Send or BackplaneMessageKind.Disconnect
                && _time.GetUtcNow().ToUnixTimeMilliseconds() > message.Value)
            {
                RedisLog.StaleRequestDropped(_logger, message.Kind.ToString(), message.Node);
                return;
            }

            switch (message.Kind)
            {
                case BackplaneMessageKind.Send:
                    var status = _delivery.Send(message.ConnectionId, OutboundMessage.FromBytes(message.Payload));
                    Answer(message, (long)status);
                    break;
                case BackplaneMessageKind.Disconnect:
                    Answer(message, _delivery.Disconnect(message.ConnectionId) == DisconnectStatus.Closing ? ClosingReply : 0);
                    break;
                case BackplaneMessageKind.Reply:
                    if (_pending.TryGetValue(message.CorrelationId, out var pending))
                    {
                        pending.OnReply(message.Value);
                    }

                    break;
            }
        }
#pragma warning disable CA1031 // One bad message must not end the node's inbox loop.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            RedisLog.BackplaneMessageFailed(_logger, channelMessage.Channel.ToString(), exception);
        }
    }

    private void OnBroadcastMessage(ChannelMessage channelMessage)
    {
        try
        {
            if (BackplaneMessage.TryParse((byte[])channelMessage.Message!, out var message)
                && message.Kind == BackplaneMessageKind.Broadcast
                && message.Node != _node.Id)
            {
                Answer(message, _delivery.Broadcast(OutboundMessage.FromBytes(message.Payload)));
            }
        }
#pragma warning disable CA1031 // One bad message must not end the node's broadcast loop.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            RedisLog.BackplaneMessageFailed(_logger, channelMessage.Channel.ToString(), exception);
        }
    }

    private long Deadline() => (_time.GetUtcNow() + _timeout).ToUnixTimeMilliseconds();

    /// <summary>Answers without waiting, so the sequential handler goes on with the next message at once.</summary>
    private void Answer(BackplaneMessage request, long value)
    {
        try
        {
            _ = _redis.Subscriber.PublishAsync(_keys.Inbox(request.Node), BackplaneMessage.Reply(request.CorrelationId, value), CommandFlags.FireAndForget);
        }
        catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
        {
            RedisLog.ReplyFailed(_logger, request.Node, exception);
        }
    }

    private enum RequestOutcome
    {
        /// <summary>The owning node answered; the value says how.</summary>
        Answered,

        /// <summary>Nobody listens on the node's inbox and it has no liveness key: the node is dead.</summary>
        NodeGone,

        /// <summary>No answer within the request timeout (or before this node stopped): the outcome is unknown.</summary>
        NoAnswer,
    }

    private abstract class PendingReply
    {
        public abstract void OnReply(long value);

        public abstract void Cancel();
    }

    private sealed class PendingRequest : PendingReply
    {
        private readonly TaskCompletionSource<long?> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<long?> Task => _reply.Task;

        public override void OnReply(long value) => _reply.TrySetResult(value);

        public override void Cancel() => _reply.TrySetResult(null);
    }

    /// <summary>Sums the counts of the nodes that answer a broadcast; answers may arrive before the expected number is known.</summary>
    private sealed class BroadcastReplies : PendingReply
    {
        private readonly Lock _lock = new();
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _recipients;
        private int _answered;
        private int _expected = -1;

        public long Recipients
        {
            get
            {
                lock (_lock)
                {
                    return _recipients;
                }
            }
        }

        public int Answered
        {
            get
            {
                lock (_lock)
                {
                    return _answered;
                }
            }
        }

        /// <summary>Waits until <paramref name="expected"/> nodes answered; false when the time ran out first.</summary>
        public async Task<bool> ExpectAsync(int expected, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                _expected = expected;
                if (_answered >= expected)
                {
                    return true;
                }
            }

            try
            {
                await _all.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }

        public override void OnReply(long value)
        {
            lock (_lock)
            {
                _recipients += value;
                _answered++;
                if (_expected >= 0 && _answered >= _expected)
                {
                    _all.TrySetResult();
                }
            }
        }

        public override void Cancel() => _all.TrySetResult();
    }
}
