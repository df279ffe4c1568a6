using Blog.PostService.Authentication;
using Microsoft.Extensions.Options;

namespace Blog.UnitTests.PostService;

/// <summary>Requests to the public issuer's endpoints go to the back channel; anything else goes where it was sent.</summary>
public sealed class BackChannelHandlerTests
{
    [Theory]
    [InlineData("http://localhost:5101/connect/introspect", "http://userservice/connect/introspect")]
    [InlineData("http://LOCALHOST:5101/.well-known/jwks?x=1", "http://userservice/.well-known/jwks?x=1")]
    [InlineData("http://localhost:5102/connect/introspect", "http://localhost:5102/connect/introspect")]
    [InlineData("https://localhost:5101/connect/introspect", "https://localhost:5101/connect/introspect")]
    public async Task Public_issuer_addresses_are_sent_to_the_back_channel(string sent, string expected)
    {
        var recorder = new RecordingHandler();
        using var invoker = new HttpMessageInvoker(new BackChannelHandler(Options.Create(new TokenValidationOptions
        {
            Issuer = new Uri("http://localhost:5101/"),
            BackChannel = new Uri("http://userservice/"),
        })) { InnerHandler = recorder });

        using var response = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Post, sent), CancellationToken.None);

        Assert.Equal(new Uri(expected), recorder.Received);
    }

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public Uri? Received { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Received = request.RequestUri;
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }
}
