using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Blog.ServiceDefaults.OAuth;
using Blog.Web.Extensions;
using Blog.Web.SignIn;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Blog.UnitTests.Web;

/// <summary>
/// The web front end in process with nothing behind it (the post and user services' addresses refuse connections):
/// each page says which service is not answering, with 503 and Retry-After, never a stack trace, and a save that could
/// not reach the post service keeps what was typed.
/// </summary>
public sealed partial class WebOutageTests : IClassFixture<WebOutageTests.FrontEndAlone>
{
    private readonly FrontEndAlone _frontEnd;
    private readonly HttpClient _browser;

    public WebOutageTests(FrontEndAlone frontEnd)
    {
        _frontEnd = frontEnd;
        _browser = frontEnd.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    [Fact]
    public async Task A_post_that_could_not_be_saved_keeps_what_the_person_typed_with_503()
    {
        // Signed in, with a token for the post service that is still fresh: the save reaches for the post service itself.
        var session = _frontEnd.Services.GetRequiredService<WebSessions>().Start("refresh-token-never-used", identityToken: null);
        session.AccessTokens[BlogScopes.Posts] = ("access-token-never-checked", DateTimeOffset.UtcNow.AddHours(1));
        using var form = await SendAsSessionAsync(HttpMethod.Get, "/write", session, content: null);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var antiforgery = AntiforgeryField().Match(await form.Content.ReadAsStringAsync()).Groups["token"].Value;
        Assert.NotEmpty(antiforgery);

        const string title = "Notes from a long afternoon & <what> \"stays\"";
        const string body = "Three paragraphs typed by hand.\nNothing here may be lost when the post service is down.";
        using var saved = await SendAsSessionAsync(HttpMethod.Post, "/write", session, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = antiforgery,
            ["Draft.Title"] = title,
            ["Draft.Body"] = body,
            ["Draft.Tags"] = "afternoon, notes",
        }));
        var page = await saved.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, saved.StatusCode);
        Assert.Contains("nothing was saved", page);
        Assert.Contains(HtmlEncoder.Default.Encode(title), page);
        Assert.Contains(HtmlEncoder.Default.Encode(body), page);
        Assert.Contains("afternoon, notes", page);
        Assert.DoesNotContain("Exception", page);
    }

    private async Task<HttpResponseMessage> SendAsSessionAsync(HttpMethod method, string path, WebSession session, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add(SignedInAs.SessionHeader, session.Id);
        return await _browser.SendAsync(request);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"(?<token>[^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [Fact]
    public async Task The_posts_page_says_the_post_service_is_not_answering_with_503()
    {
        using var response = await _browser.GetAsync("/");
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("The post service is not answering right now.", page);
        Assert.DoesNotContain("Exception", page);
        Assert.DoesNotContain(" at Blog.", page);
    }

    [Fact]
    public async Task Signing_in_says_the_user_service_is_not_answering_with_503()
    {
        using var response = await _browser.GetAsync("/signin");
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("The user service is not answering right now.", page);
        Assert.DoesNotContain("Exception", page);
    }

    public sealed class FrontEndAlone : WebApplicationFactory<BlogWebOptions>
    {
        // Port 9 (discard) on loopback: nothing listens, every connection is refused at once.
        private const string Nowhere = "http://127.0.0.1:9/";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("BlogWeb:Authority", Nowhere);
            builder.UseSetting("BlogWeb:ClientSecret", "test-secret-not-used-for-anything");
            builder.UseSetting("BlogWeb:PostService", Nowhere);
            builder.UseSetting("BlogWeb:UserService", Nowhere);
            builder.UseSetting("BlogWeb:ServiceTimeout", "00:00:03");
            // A request carrying the test's header is signed in to that session, as the session cookie would sign it in
            // after a real sign-in at the user service (which is not running here).
            builder.ConfigureTestServices(services => services
                .AddAuthentication(authentication => authentication.DefaultAuthenticateScheme = SignedInAs.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, SignedInAs>(SignedInAs.SchemeName, _ => { }));
        }
    }

    /// <summary>Signs a request in to the session its header names; a request without the header is anonymous.</summary>
    public sealed class SignedInAs(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "signed-in-as";
        public const string SessionHeader = "X-Test-Session";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue(SessionHeader, out var session))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(UserTokens.SessionClaim, session.ToString()), new Claim("sub", "someone"), new Claim("name", "Someone")], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}
