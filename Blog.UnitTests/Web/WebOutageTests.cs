using System.Net;
using Blog.Web.Extensions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Blog.UnitTests.Web;

/// <summary>
/// The web front end in process with nothing behind it (the post and user services' addresses refuse connections):
/// each page says which service is not answering, with 503 and Retry-After, never a stack trace.
/// </summary>
public sealed class WebOutageTests : IClassFixture<WebOutageTests.FrontEndAlone>
{
    private readonly HttpClient _browser;

    public WebOutageTests(FrontEndAlone frontEnd)
        => _browser = frontEnd.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

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
        }
    }
}
