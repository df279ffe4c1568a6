using System.Net;
using System.Net.Sockets;

namespace Blog.Tests.Fixtures;

/// <summary>
/// HTTP clients that connect from a chosen loopback address. Loopback is a whole /8 on Linux: a test that floods an
/// endpoint limited per client address uses its own address, so the other tests (127.0.0.1) are not limited.
/// </summary>
public static class LoopbackClient
{
    public static HttpClient From(string localAddress)
        => new(new SocketsHttpHandler
        {
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
            Timeout = BlogAppFixture.DefaultTimeout,
        };
}
