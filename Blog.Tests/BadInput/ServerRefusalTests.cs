using System.Net;
using Blog.Tests.Fixtures;
using static Blog.TestKit.BadInputHttp;

namespace Blog.Tests.BadInput;

/// <summary>
/// The one kind of bad input that gets no ProblemDetails: a request line Kestrel itself refuses (a NUL in the path, a
/// path over its 8 KB request-line limit). Kestrel answers before any middleware runs, with a 4xx and an empty body, so
/// no Blog code can add one; what matters is that the request never reaches an endpoint and is never a 5xx.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class ServerRefusalTests(BlogAppFixture fixture)
{
    public static TheoryData<string, string, HttpStatusCode> Refusals() => new()
    {
        // service, path, Kestrel's status
        { BlogResources.PostService, "/api/posts/%00", HttpStatusCode.BadRequest },
        { BlogResources.UserService, "/api/admin/users/%00", HttpStatusCode.BadRequest },
        { BlogResources.UserService, "/api/users/%00/", HttpStatusCode.BadRequest },
        { BlogResources.PostService, "/api/posts/" + new string('f', 10_000), HttpStatusCode.RequestUriTooLong },
        { BlogResources.UserService, "/api/users/" + new string('f', 10_000), HttpStatusCode.RequestUriTooLong },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_request_line_Kestrel_refuses_gets_a_4xx_before_any_endpoint(string service, string path, HttpStatusCode status)
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        using var client = fixture.CreateHttpClient(service);

        using var response = await client.SendAsync(Request(HttpMethod.Get, path, token: null), timeout.Token);

        Assert.Equal(status, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(timeout.Token));
    }
}
