using Blog.Tests.Fixtures;
using static Blog.TestKit.BadInputHttp;

namespace Blog.Tests.BadInput;

/// <summary>
/// Malformed requests to OpenIddict's endpoints. These answer in OAuth's own error format (RFC 6749 section 5.2: a JSON
/// object with "error", e.g. invalid_request), which is the documented contract there, rather than ProblemDetails; what
/// the corpus demands is a 4xx with a named error, never a 5xx.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class OAuthEndpointCorpusTests(BlogAppFixture fixture)
{
    private const string Form = "application/x-www-form-urlencoded";
    private const string Login = "grant_type=password&client_id=blog-client";

    public static TheoryData<string, string, string, string?, string?> Faults() => new()
    {
        // case, endpoint, body, Content-Type, what the answer must name (null: any named OAuth error)
        { "a JSON body", "/connect/token", """{"grant_type":"password","client_id":"blog-client"}""", "application/json", "invalid_request" },
        { "an empty form", "/connect/token", "", Form, "invalid_request" },
        { "a form without a Content-Type", "/connect/token", $"{Login}&username=a&password=b", null, null },
        { "a form sent as text/plain", "/connect/token", $"{Login}&username=a&password=b", "text/plain", null },
        { "no grant_type", "/connect/token", "client_id=blog-client&username=a&password=b", Form, "invalid_request" },
        { "an unknown grant_type", "/connect/token", "grant_type=magic&client_id=blog-client", Form, "unsupported_grant_type" },
        { "grant_type given twice", "/connect/token", $"{Login}&grant_type=client_credentials&username=a&password=b", Form, "invalid_request" },
        { "an unknown client", "/connect/token", "grant_type=password&client_id=nobody&username=a&password=b", Form, null },
        { "no client_id", "/connect/token", "grant_type=password&username=a&password=b", Form, null },
        { "no username", "/connect/token", $"{Login}&password=b", Form, null },
        { "username holds NUL", "/connect/token", $"{Login}&username=a%00b&password=Pass-word-1!", Form, "invalid characters" },
        { "username is an SQL fragment", "/connect/token", $"{Login}&username=admin%27--&password=%27%20OR%201%3D1%20--", Form, "invalid_grant" },
        { "username is 10000 characters", "/connect/token", $"{Login}&username={new string('u', 10_000)}&password=b", Form, "invalid_grant" },
        { "password is 500000 characters", "/connect/token", $"{Login}&username=a&password={new string('p', 500_000)}", Form, "invalid_grant" },
        { "invalid percent-encoding", "/connect/token", $"{Login}&username=%zz&password=%", Form, null },
        { "percent-encoded invalid UTF-8", "/connect/token", $"{Login}&username=%FF%FE&password=b", Form, null },
        { "raw invalid UTF-8", "/connect/token", $"{Login}&username=<0xFF><0xFE>&password=b", Form, null },
        { "2000 fields", "/connect/token", Login + string.Concat(Enumerable.Range(0, 2000).Select(i => $"&f{i}=1")), Form, "The form cannot be read" },
        { "a 3000-character field name", "/connect/token", $"{Login}&{new string('k', 3000)}=1", Form, "The form cannot be read" },
        { "an unknown scope", "/connect/token", $"{Login}&username=a&password=b&scope=everything", Form, "invalid_scope" },
        { "a garbage refresh token", "/connect/token", "grant_type=refresh_token&client_id=blog-client&refresh_token=garbage", Form, "invalid_grant" },
        { "client credentials without a secret", "/connect/token", "grant_type=client_credentials&client_id=post-service&scope=users.read", Form, null },
        { "revocation with a JSON body", "/connect/revoke", """{"client_id":"blog-client","token":"x"}""", "application/json", null },
        { "revocation without a token", "/connect/revoke", "client_id=blog-client", Form, null },
        { "introspection without a client", "/connect/introspect", "token=x", Form, null },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_malformed_OAuth_request_gets_an_OAuth_error_never_a_5xx(string @case, string endpoint, string body, string? mediaType, string? names)
    {
        _ = @case; // names the row in the test's display name
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var target = new Uri(await fixture.GetDirectAddressAsync(BlogResources.UserService), endpoint);
        // Its own client address: these requests count against the token endpoint's rate limit, not the other tests'.
        using var client = LoopbackClient.From("127.0.0.79");

        using var request = Request(HttpMethod.Post, target.ToString(), token: null, RawBody(body, mediaType));
        using var response = await client.SendAsync(request, timeout.Token);

        await AssertOAuthErrorOrProblemAsync(response, names, timeout.Token);
    }
}
