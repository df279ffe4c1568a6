using System.Net;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;

namespace Blog.Tests.Clients;

/// <summary>
/// The post service's API reference page logs in as its own public client, blog-api-reference, with the
/// authorization code flow and PKCE: its document names the user service's authorization endpoint, and the user
/// service sends the code back to exactly that page.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class ApiReferenceLoginTests(BlogAppFixture fixture, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task The_post_service_page_signs_in_through_the_code_flow_and_its_token_writes_a_post()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await new IdentityClient(fixture).RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        using var posts = fixture.CreateHttpClient(BlogResources.PostService);
        var page = new Uri(posts.BaseAddress!, "/scalar/v1").AbsoluteUri;

        // What the page's Authorize uses: the document's authorization code flow.
        var document = JsonDocument.Parse(await posts.GetStringAsync("/openapi/v1.json", timeout.Token)).RootElement;
        var flow = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("oauth2").GetProperty("flows").GetProperty("authorizationCode");
        Assert.Equal($"{app.Authority}/connect/authorize", flow.GetProperty("authorizationUrl").GetString());

        await using var browser = await chromium.NewContextAsync();
        var tab = await browser.NewPageAsync();
        var request = app.NewRequest(scope: "openid profile posts", redirectUri: page, clientId: "blog-api-reference");
        await tab.GotoAsync(request.Url);
        await tab.GetByLabel("User name").FillAsync(user.UserName);
        await tab.GetByLabel("Password").FillAsync(user.Password);
        await tab.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await tab.GetByRole(AriaRole.Heading, new() { Name = "Allow Blog API reference?" }).WaitForAsync();
        await tab.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();

        // Back on the reference page with the code, which the page exchanges (PKCE) for a token.
        await tab.WaitForURLAsync(url => url.StartsWith(page + "?", StringComparison.Ordinal));
        var response = QueryHelpers.ParseQuery(new Uri(tab.Url).Query);
        Assert.Equal(request.State, response["state"].ToString());
        var tokens = await app.ExchangeAsync(request, response["code"].ToString(), timeout.Token);
        Assert.False(tokens.IsError, tokens.Error);
        Assert.Equal(HttpStatusCode.Created, await app.CreatePostAsync(tokens.AccessToken!, timeout.Token));
    }
}
