using System.Net;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Microsoft.Playwright;

namespace Blog.Tests.Clients;

/// <summary>
/// The post service's API reference page (Scalar) logs in as its own public client, blog-api-reference, with the
/// authorization code flow and PKCE: its document names the user service's authorization endpoint, "Authorize" opens
/// the sign-in and consent pages, and the page exchanges the code itself for a token that writes a post.
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

        var document = JsonDocument.Parse(await posts.GetStringAsync("/openapi/v1.json", timeout.Token)).RootElement;
        var flow = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("oauth2").GetProperty("flows").GetProperty("authorizationCode");
        Assert.Equal($"{app.Authority}/connect/authorize", flow.GetProperty("authorizationUrl").GetString());

        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(posts.BaseAddress!, "/scalar/v1").AbsoluteUri);
        await page.GetByText("authorizationCode", new() { Exact = true }).First.ClickAsync();
        var popup = await page.RunAndWaitForPopupAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Authorize" }).First.ClickAsync());
        Assert.StartsWith($"{app.Authority}/signin?", popup.Url);
        await popup.GetByLabel("User name").FillAsync(user.UserName);
        await popup.GetByLabel("Password").FillAsync(user.Password);
        await popup.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await popup.GetByRole(AriaRole.Heading, new() { Name = "Allow Blog API reference?" }).WaitForAsync();
        await popup.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();

        // Back on the page, which has exchanged the code (with its PKCE verifier) at the user service.
        await page.GetByRole(AriaRole.Button, new() { Name = "Clear tokens" }).WaitForAsync();
        var accessToken = (await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('input')].map(input => input.value)"))
            .Single(value => value.Count(character => character == '.') == 4);
        Assert.Equal(HttpStatusCode.Created, await app.CreatePostAsync(accessToken, timeout.Token));
    }
}
