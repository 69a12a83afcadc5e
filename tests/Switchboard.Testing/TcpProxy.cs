using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Switchboard.Testing;

/// <summary>
/// A TCP proxy on a free loopback port that forwards every connection to <c>127.0.0.1:{target}</c> — a network between
/// a client and a server (a gateway node and Redis) that a test can break: delay bytes (<see cref="Latency"/>), cut every
/// connection (<see cref="CutAll"/>), hold all bytes as a partition does (<see cref="BlackHole"/>), reset new
/// connections (<see cref="RefuseNew"/>), and <see cref="Heal"/>.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();
    private readonly Task _acceptLoop;
    private readonly Lock _lock = new();

    // Completed while bytes flow; a black hole replaces it with one that completes on Heal.
    private TaskCompletionSource _flowing = Completed();
    private volatile bool _refusing;
    private long _latencyTicks;

    private TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How long each chunk of bytes waits before it is forwarded, in each direction (0: none).</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set => Interlocked.Exchange(ref _latencyTicks, value.Ticks);
    }

    public static TcpProxy Start(int targetPort) => new(targetPort);

    /// <summary>Resets every open connection (both sides see it end at once); new ones are still accepted.</summary>
    public void CutAll()
    {
        foreach (var socket in _sockets.Keys)
        {
            Reset(socket);
        }
    }

    /// <summary>
    /// Stops forwarding: connections stay open and new ones are accepted, but no byte passes in either direction until
    /// <see cref="Heal"/> — then what was held is delivered, as TCP retransmits after a partition.
    /// </summary>
    public void BlackHole()
    {
        lock (_lock)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>New connections are reset as soon as they arrive (the client sees its connection refused or reset).</summary>
    public void RefuseNew() => _refusing = true;

    /// <summary>Back to normal: bytes flow without delay and new connections are forwarded.</summary>
    public void Heal()
    {
        _refusing = false;
        Latency = TimeSpan.Zero;
        lock (_lock)
        {
            _flowing.TrySetResult();
        }
    }

    private static TaskCompletionSource Completed()
    {
        var completed = new TaskCompletionSource();
        completed.SetResult();
        return completed;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_refusing)
            {
                Reset(client);
                continue;
            }

            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        _sockets[client] = 0;
        _sockets[server] = 0;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stopping.Token);
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            // One direction ended: end the other too, as a broken network path would.
            Reset(client);
            Reset(server);
        }
    }

    /// <summary>
    /// Reads from <paramref name="from"/> and forwards to <paramref name="to"/>: each chunk is held while the proxy is a
    /// black hole, then sent <see cref="Latency"/> after it arrived. Chunks wait side by side, as on a long network
    /// path, not one after the other.
    /// </summary>
    private async Task PumpAsync(Socket from, Socket to)
    {
        var chunks = Channel.CreateUnbounded<(byte[] Bytes, long DueTimestamp)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var sending = SendAsync(chunks.Reader, to);
        try
        {
            while (true)
            {
                var buffer = new byte[16 * 1024];
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (read == 0)
                {
                    return;
                }

                Task flowing;
                lock (_lock)
                {
                    flowing = _flowing.Task;
                }

                await flowing.WaitAsync(_stopping.Token);
                chunks.Writer.TryWrite((buffer[..read], Stopwatch.GetTimestamp() + (long)(Latency.TotalSeconds * Stopwatch.Frequency)));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            chunks.Writer.TryComplete();
            await sending;
        }
    }

    private async Task SendAsync(ChannelReader<(byte[] Bytes, long DueTimestamp)> chunks, Socket to)
    {
        try
        {
            await foreach (var (bytes, due) in chunks.ReadAllAsync(_stopping.Token))
            {
                if (Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due) is { Ticks: > 0 } wait)
                {
                    await Task.Delay(wait, _stopping.Token);
                }

                await to.SendAsync(bytes, SocketFlags.None, _stopping.Token);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes with an RST (linger 0), so the peer sees the connection reset, not a clean end.</summary>
    private void Reset(Socket socket)
    {
        _sockets.TryRemove(socket, out _);
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        CutAll();
        _stopping.Dispose();
    }
}
