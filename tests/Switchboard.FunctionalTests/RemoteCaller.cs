using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Switchboard.FunctionalTests;

/// <summary>
/// An HTTP client whose connections come from a non-loopback address of this machine: the server still
/// listens on 127.0.0.1 only, but the kernel lets a socket bound to the eth0 address connect to it, so
/// the gateway sees a genuinely remote peer address. Without such an address it falls back to
/// <see cref="RemoteAddressFromHeader"/> with a documentation address.
/// </summary>
internal sealed class RemoteCaller : IDisposable
{
    private RemoteCaller(HttpClient http) => Http = http;

    public HttpClient Http { get; }

    public static RemoteCaller Create()
    {
        if (LocalNonLoopbackAddress() is not { } local)
        {
            var simulated = new HttpClient();
            simulated.DefaultRequestHeaders.Add(RemoteAddressFromHeader.Header, "198.51.100.7");
            return new RemoteCaller(simulated);
        }

        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new RemoteCaller(new HttpClient(handler));
    }

    public void Dispose() => Http.Dispose();

    private static IPAddress? LocalNonLoopbackAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address));
}
