using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Blog.Tests.Clients;

/// <summary>
/// What a native app does to receive the authorization response (RFC 8252 section 7.3): listen on the loopback
/// interface, on whatever port is free, for the browser's redirect. Answers every request with a short page and hands
/// out the URLs it received.
/// </summary>
public sealed class LoopbackListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly System.Threading.Channels.Channel<Uri> _received = System.Threading.Channels.Channel.CreateUnbounded<Uri>();

    public LoopbackListener()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string CallbackUri => $"http://127.0.0.1:{Port}/callback";

    public string SignedOutUri => $"http://127.0.0.1:{Port}/signed-out";

    /// <summary>The next URL the browser was sent to here.</summary>
    public async Task<Uri> NextAsync(CancellationToken cancellationToken) => await _received.Reader.ReadAsync(cancellationToken);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            if (context.Request.Url is { } url && url.AbsolutePath != "/favicon.ico")
            {
                _received.Writer.TryWrite(url);
            }

            var page = Encoding.UTF8.GetBytes("<!DOCTYPE html><html lang=\"en\"><title>Done</title><p>You can return to the application.</p></html>");
            try
            {
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.OutputStream.WriteAsync(page);
                context.Response.Close();
            }
            catch (Exception exception) when (exception is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The browser went away (the test had what it needed and closed it): nothing left to answer.
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
