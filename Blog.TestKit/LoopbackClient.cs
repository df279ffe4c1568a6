using System.Net;
using System.Net.Sockets;

namespace Blog.TestKit;

/// <summary>
/// HTTP clients that connect from a chosen loopback address. Loopback is a whole /8 on Linux: a test that floods an
/// endpoint limited per client address uses its own address, so the other tests (127.0.0.1) are not limited; the
/// benchmark's junk flood plays distinct clients the same way.
/// </summary>
public static class LoopbackClient
{
    /// <param name="localAddress">The loopback address the connections leave from (127.x.y.z).</param>
    /// <param name="maxConnections">At most this many connections to one server (the default: no bound).</param>
    public static HttpClient From(string localAddress, int maxConnections = int.MaxValue, Uri? baseAddress = null)
        => new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                var host = context.DnsEndPoint.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(context.DnsEndPoint.Host);
                await socket.ConnectAsync(new IPEndPoint(host, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        })
        {
            BaseAddress = baseAddress,
            Timeout = BlogApplication.DefaultTimeout,
        };
}
