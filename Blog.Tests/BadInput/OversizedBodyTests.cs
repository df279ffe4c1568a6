using System.Net;
using System.Net.Http.Headers;
using Blog.Tests.Fixtures;
using static Blog.TestKit.BadInputHttp;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.BadInput;

/// <summary>
/// A 10 MB body against the 1 MB limit every service has: 413 ProblemDetails, refused from its Content-Length before it
/// is read. The request says <c>Expect: 100-continue</c>, as a well-behaved client of a large upload does, so the server
/// can answer before the client sends the body and the connection is not torn down mid-upload (without it, the server
/// still answers 413 at once but the client may see the reset of a connection it is still writing to, not the answer).
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class OversizedBodyTests(BlogAppFixture fixture, CorpusCallers callers) : IClassFixture<CorpusCallers>
{
    private const long TenMegabytes = 10L * 1024 * 1024;

    public static TheoryData<string, string, string, string> Endpoints() => new()
    {
        // service, method, path, who calls
        { BlogResources.PostService, "POST", "/api/posts", "author" },
        { BlogResources.PostService, "PUT", "/api/posts/{post}", "author" },
        { BlogResources.UserService, "POST", "/api/account/register", "anyone" },
        { BlogResources.UserService, "POST", "/api/users/lookup", "service" },
        { BlogResources.UserService, "POST", "/connect/token", "anyone" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_10_MB_body_is_refused_with_413_before_it_is_read(string service, string method, string path, string caller)
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var ct = timeout.Token;
        var identity = new IdentityClient(fixture);
        using var client = ExpectingContinueClient(fixture, service);
        string? token = null;
        if (caller == "author")
        {
            (_, token) = await callers.AuthorAsync(identity);
            var post = await callers.OnceAsync("post", cancellationToken => CreatePostAsync(client, token, cancellationToken));
            path = path.Replace("{post}", post.GetProperty("id").GetString(), StringComparison.Ordinal);
        }
        else if (caller == "service")
        {
            token = await callers.ServiceTokenAsync(identity);
        }

        var body = new SpacesContent(TenMegabytes, path == "/connect/token" ? "application/x-www-form-urlencoded" : "application/json");
        using var request = Request(new HttpMethod(method), path, token, body);
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request, ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "1048576", ct);
        // Refused from the Content-Length alone: the server never asked for the body (no 100 Continue), none of it was sent.
        Assert.Equal(0, body.BytesWritten);
    }

    /// <summary>
    /// A client that waits long enough for the interim 100 Continue: authenticating the token (an introspection on a cold
    /// replica) can take longer than HttpClient's default second, after which it would start sending the body anyway.
    /// </summary>
    private static HttpClient ExpectingContinueClient(BlogAppFixture fixture, string service)
    {
        using var resolved = fixture.CreateHttpClient(service);
        return new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = CaseTimeout })
        {
            BaseAddress = resolved.BaseAddress,
            Timeout = CaseTimeout,
        };
    }

    /// <summary>A body of the given length (spaces: valid JSON whitespace and harmless in a form), written lazily.</summary>
    private sealed class SpacesContent : HttpContent
    {
        private readonly long _length;

        public SpacesContent(long length, string mediaType)
        {
            _length = length;
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        public long BytesWritten { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            while (BytesWritten < _length)
            {
                var count = (int)Math.Min(chunk.Length, _length - BytesWritten);
                await stream.WriteAsync(chunk.AsMemory(0, count));
                BytesWritten += count;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}
