using System.Diagnostics;
using System.Net;
using System.Text;

namespace Switchboard.LoadTest;

/// <summary>
/// The load clients of one server: connected from several loopback source addresses with a bounded number of
/// handshakes in flight, each with its own receive loop. Routes what they receive to the current <see cref="Phase"/>.
/// </summary>
internal sealed class Fleet(IPEndPoint server, string path, WireProtocol protocol, IReadOnlyList<IPAddress> sources, HarnessTls? tls)
{
    private readonly byte[] _upgrade = WsClient.UpgradeRequest(server, path);
    private readonly List<WsClient> _clients = [];
    private readonly Lock _lock = new();
    private Phase? _phase;
    private long _closed;
    private long _identified;
    private long _strays;
    private CancellationTokenSource? _keepAlive;

    public WireProtocol Protocol => protocol;

    public IReadOnlyList<WsClient> Clients => _clients;

    /// <summary>Clients whose connection ended (by the server, or by <see cref="CloseAll"/>).</summary>
    public long Closed => Interlocked.Read(ref _closed);

    public long Strays => Interlocked.Read(ref _strays);

    public Phase? Current
    {
        get => Volatile.Read(ref _phase);
        set => Volatile.Write(ref _phase, value);
    }

    /// <summary>Opens <paramref name="count"/> connections, at most <paramref name="concurrency"/> handshakes at a time.</summary>
    public async Task<ConnectResult> ConnectAsync(int count, int concurrency, TimeSpan timeout, Action<string> progress)
    {
        var latency = new LatencyHistogram();
        var slots = new WsClient?[count];
        var next = -1;
        var failures = 0;
        string? firstError = null;
        using var cancellation = new CancellationTokenSource(timeout);
        var stopwatch = Stopwatch.StartNew();
        var reporter = Stopwatch.StartNew();

        async Task WorkerAsync()
        {
            while (true)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= count || cancellation.IsCancellationRequested)
                {
                    return;
                }

                var started = Stopwatch.GetTimestamp();
                try
                {
                    var baseIndex = _clients.Count;
                    slots[index] = await WsClient.ConnectAsync(this, baseIndex + index, sources[index % sources.Count], server, _upgrade, protocol, 0, tls, cancellation.Token);
                    latency.Record(Stopwatch.GetTimestamp() - started);
                }
                catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    if (Interlocked.Increment(ref failures) == 1)
                    {
                        firstError = exception.Message;
                    }
                }

                if (index % 1000 == 999 && reporter.Elapsed > TimeSpan.FromSeconds(3))
                {
                    reporter.Restart();
                    progress($"{index + 1:N0}/{count:N0} connected");
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, concurrency)).Select(_ => Task.Run(WorkerAsync)));
        var elapsed = stopwatch.Elapsed;
        lock (_lock)
        {
            foreach (var client in slots)
            {
                if (client is not null)
                {
                    _clients.Add(client);
                    _ = client.RunAsync();
                }
            }
        }

        return new ConnectResult(count - failures, failures, elapsed, latency, firstError);
    }

    /// <summary>Asks every client without an id for it (whoami); true when all answered within <paramref name="timeout"/>.</summary>
    public async Task<bool> IdentifyAsync(TimeSpan timeout)
    {
        var request = WireMessages.WhoAmI(protocol);
        var asked = 0;
        foreach (var client in _clients)
        {
            if (client.Id is null && !client.IsClosed)
            {
                asked++;
                try
                {
                    await client.SendTextAsync(request);
                }
                catch (System.Net.Sockets.SocketException)
                {
                }
            }
        }

        var stopwatch = Stopwatch.StartNew();
        while (_clients.Any(client => client.Id is null && !client.IsClosed) && stopwatch.Elapsed < timeout)
        {
            await Task.Delay(50);
        }

        return _clients.All(client => client.Id is not null || client.IsClosed);
    }

    /// <summary>SignalR closes a connection that sent nothing for 30 s; send the protocol's ping to every client every 10 s.</summary>
    public void StartKeepAlive()
    {
        if (protocol != WireProtocol.SignalR || _keepAlive is not null)
        {
            return;
        }

        _keepAlive = new CancellationTokenSource();
        var token = _keepAlive.Token;
        var ping = WsClient.MaskedFrame(0x1, WireMessages.SignalRPing);
        _ = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(10), token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                WsClient[] snapshot;
                lock (_lock)
                {
                    snapshot = [.. _clients];
                }

                foreach (var client in snapshot)
                {
                    if (!client.IsClosed)
                    {
                        try
                        {
                            await client.SendRawAsync(ping);
                        }
                        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or ObjectDisposedException)
                        {
                        }
                    }
                }
            }
        }, token);
    }

    /// <summary>Routes one received message (a SignalR record, or a whole frame); returns the echo phase to answer, or -1.</summary>
    public int OnRecord(WsClient client, ReadOnlySpan<byte> record)
    {
        if (Marker.TryRead(record, out var timestamp, out var phaseId, out var sequence))
        {
            var now = Stopwatch.GetTimestamp();
            var phase = Current;
            if (phase is not null && phase.Id == phaseId)
            {
                return phase.Deliver(now - timestamp, sequence, now) ? phaseId : -1;
            }

            Interlocked.Increment(ref _strays);
            return -1;
        }

        if (client.Id is null && WireMessages.TryReadId(record) is { } id)
        {
            client.Id = id;
            Interlocked.Increment(ref _identified);
        }

        return -1;
    }

    public void OnClosed(WsClient client) => Interlocked.Increment(ref _closed);

    /// <summary>Closes the clients from index <paramref name="keep"/> on (all by default).</summary>
    public void CloseAll(int keep = 0)
    {
        lock (_lock)
        {
            for (var i = _clients.Count - 1; i >= keep; i--)
            {
                _clients[i].Close();
                _clients.RemoveAt(i);
            }

            if (keep == 0)
            {
                _keepAlive?.Cancel();
                _keepAlive?.Dispose();
                _keepAlive = null;
            }
        }
    }
}

/// <summary>The outcome of opening connections.</summary>
internal sealed record ConnectResult(int Connected, int Failed, TimeSpan Elapsed, LatencyHistogram Latency, string? FirstError);
