using System.Net;
using Blog.Tests.Fixtures;

namespace Blog.Tests.Clients;

/// <summary>
/// Authorization requests a client must not get a code for, whoever is signed in: no PKCE or "plain" PKCE, and a
/// redirect URI that is not registered (only a loopback redirect's port may differ, RFC 8252 section 7.3).
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class AuthorizationRequestTests(BlogAppFixture fixture)
{
    [Theory]
    [InlineData("plain")]
    [InlineData(null)]
    public async Task A_code_request_without_an_S256_challenge_is_refused(string? method)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var app = new NativeApp(fixture);
        var request = app.NewRequest(codeChallengeMethod: method);
        if (method is null)
        {
            request = request with { Url = RemoveParameters(request.Url, "code_challenge", "code_challenge_method") };
        }

        using var response = await SendAsync(request.Url, timeout.Token);

        // Refused before anyone is asked to sign in (OpenIddict answers it itself, not through the client).
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync(timeout.Token));
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/elsewhere")]
    [InlineData("http://localhost:{port}/callback")]
    [InlineData("http://127.0.0.2.example.test:{port}/callback")]
    [InlineData("https://127.0.0.1:{port}/callback")]
    [InlineData("http://127.0.0.1:{port}/callback/../elsewhere")]
    [InlineData("http://user@127.0.0.1:{port}/callback")]
    public async Task A_redirect_uri_that_is_not_registered_gets_no_redirect(string redirectUri)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var app = new NativeApp(fixture);
        var request = app.NewRequest(redirectUri: redirectUri.Replace("{port}", app.Listener.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        using var response = await SendAsync(request.Url, timeout.Token);

        // Never sent to an unregistered address, not even with an error.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task A_loopback_redirect_may_use_any_port()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var app = new NativeApp(fixture);

        using var response = await SendAsync(app.NewRequest().Url, timeout.Token);

        // Accepted: on to the sign-in page (nobody is signed in).
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/signin?returnUrl=", response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("https://attacker.example/")]
    [InlineData("//attacker.example/")]
    [InlineData("/\\attacker.example/")]
    public async Task The_sign_in_page_returns_only_to_its_own_addresses(string returnUrl)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var app = new NativeApp(fixture);

        using var response = await SendAsync($"{app.Authority}/signin?returnUrl={Uri.EscapeDataString(returnUrl)}", timeout.Token);

        // After signing in, the form would send the person to its returnUrl: never another site.
        Assert.Contains("name=\"returnUrl\" value=\"/\"", await response.Content.ReadAsStringAsync(timeout.Token));
    }

    private async Task<HttpResponseMessage> SendAsync(string url, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = BlogAppFixture.DefaultTimeout };
        return await client.GetAsync(url, cancellationToken);
    }

    private static string RemoveParameters(string url, params string[] names)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(url).Query)
            .Where(field => !names.Contains(field.Key))
            .ToDictionary(field => field.Key, field => (string?)field.Value.ToString());
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(url[..url.IndexOf('?', StringComparison.Ordinal)], query);
    }
}
