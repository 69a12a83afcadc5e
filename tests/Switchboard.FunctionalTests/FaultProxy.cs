using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.FunctionalTests;

/// <summary>What a <see cref="FaultProxy"/> does with the connections it gets.</summary>
public enum BackendFault
{
    /// <summary>Forwards bytes both ways to the backend.</summary>
    None,

    /// <summary>Not listening: connections are refused (ECONNREFUSED), as when the backend's process is gone.</summary>
    Down,

    /// <summary>Accepts, reads the request, then resets the connection (RST) without a byte of answer.</summary>
    Reset,

    /// <summary>Accepts, reads the request, answers bytes that are not HTTP and closes.</summary>
    Garbage,

    /// <summary>Accepts and reads, and never answers (until the proxy is disposed).</summary>
    Hang,
}

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a real backend that can make the backend fail at the transport: refused,
/// reset, garbage, silent. Changing the fault drops every connection it holds, as a backend that crashed or restarted
/// would, so a client's pooled keep-alive connections meet the new fault too; it keeps its port throughout.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private static readonly byte[] GarbageBytes = Encoding.ASCII.GetBytes("\u0000\u00ff\u0013SSH-2.0-not-http\r\n\r\n\u0001\u0002");
    private readonly IPEndPoint _backend;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly HashSet<Socket> _open = [];
    private TcpListener? _listener;
    private BackendFault _fault;

    private FaultProxy(IPEndPoint backend, int port)
    {
        _backend = backend;
        Port = port;
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public static FaultProxy Start(Uri backend)
    {
        var listener = Listen(0);
        var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, backend.Port), ((IPEndPoint)listener.LocalEndpoint).Port);
        proxy.Serve(listener);
        return proxy;
    }

    /// <summary>The current fault; setting it drops every open connection, and <see cref="BackendFault.Down"/> stops listening.</summary>
    public BackendFault Fault
    {
        get
        {
            lock (_lock)
            {
                return _fault;
            }
        }

        set
        {
            lock (_lock)
            {
                _fault = value;
                foreach (var socket in _open)
                {
                    Reset(socket);
                }

                _open.Clear();
                if (value == BackendFault.Down)
                {
                    _listener?.Stop();
                    _listener = null;
                }
                else if (_listener is null)
                {
                    Serve(Listen(Port));
                }
            }
        }
    }

    private static TcpListener Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return listener;
    }

    private void Serve(TcpListener listener)
    {
        _listener = listener;
        _ = AcceptLoopAsync(listener);
    }

    private async Task AcceptLoopAsync(TcpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return; // stopped: Down, or disposed
            }

            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(Socket client)
    {
        Track(client);
        try
        {
            switch (Fault)
            {
                case BackendFault.None:
                    using (var backend = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                    {
                        await backend.ConnectAsync(_backend, _stopping.Token);
                        Track(backend);
                        await Task.WhenAny(PumpAsync(client, backend), PumpAsync(backend, client));
                    }

                    break;
                case BackendFault.Reset:
                    await ReadRequestAsync(client);
                    Reset(client);
                    break;
                case BackendFault.Garbage:
                    await ReadRequestAsync(client);
                    await client.SendAsync(GarbageBytes, _stopping.Token);
                    client.Shutdown(SocketShutdown.Both);
                    break;
                default:
                    await ReadRequestAsync(client);
                    await Task.Delay(Timeout.Infinite, _stopping.Token);
                    break;
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // Dropped by a fault change or the end of the test.
        }
        finally
        {
            client.Dispose();
        }
    }

    private void Track(Socket socket)
    {
        lock (_lock)
        {
            _open.Add(socket);
        }
    }

    /// <summary>Waits for the first bytes of a request, so the fault hits a request the client has sent.</summary>
    private async Task ReadRequestAsync(Socket client)
    {
        var buffer = new byte[16 * 1024];
        await client.ReceiveAsync(buffer, _stopping.Token);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReceiveAsync(buffer, _stopping.Token)) > 0)
        {
            await to.SendAsync(buffer.AsMemory(0, read), _stopping.Token);
        }
    }

    /// <summary>Closes with RST (linger 0), as a crashed peer's kernel does.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        lock (_lock)
        {
            _listener?.Stop();
            foreach (var socket in _open)
            {
                Reset(socket);
            }

            _open.Clear();
        }

        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }
}
