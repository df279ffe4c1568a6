using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Microsoft.Playwright;

namespace Blog.Tests.Clients;

/// <summary>
/// Authorization code with PKCE for the native client blog-cli, in a real browser (headless Chromium) against the
/// running application: the sign-in page, the consent page, the redirect to the app's loopback listener, the exchange,
/// and the token at the post service.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class CodeFlowBrowserTests(BlogAppFixture fixture, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Sign_in_and_consent_give_a_code_whose_token_writes_a_post_and_the_consent_is_remembered()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await _identity.RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();

        var request = app.NewRequest();
        await page.GotoAsync(request.Url);
        await SignInAsync(page, user.UserName, user.Password);

        // The consent page names the client and says in plain words what each scope allows.
        await page.GetByRole(AriaRole.Heading, new() { Name = "Allow Blog command line?" }).WaitForAsync();
        Assert.Contains("Write, edit and delete blog posts in your name.", await page.Locator("li[data-scope=posts]").InnerTextAsync());
        Assert.Equal(5, await page.Locator("ul.scopes li").CountAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();

        var response = await app.ReceiveAsync(request, timeout.Token);
        var tokens = await app.ExchangeAsync(request, response["code"], timeout.Token);
        Assert.False(tokens.IsError, tokens.Error);
        Assert.NotNull(tokens.IdentityToken);
        Assert.NotNull(tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.Created, await app.CreatePostAsync(tokens.AccessToken!, timeout.Token));

        // Second time: signed in and consent remembered, straight back to the app with a new code.
        var again = app.NewRequest();
        await page.GotoAsync(again.Url);
        var second = await app.ReceiveAsync(again, timeout.Token);
        Assert.True(second.ContainsKey("code"));
        Assert.False((await app.ExchangeAsync(again, second["code"], timeout.Token)).IsError);
    }

    [Fact]
    public async Task Revoking_a_consent_from_the_account_api_ends_its_tokens_and_the_client_must_ask_again()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await _identity.RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        var request = app.NewRequest();
        await page.GotoAsync(request.Url);
        await SignInAsync(page, user.UserName, user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
        var tokens = await app.ExchangeAsync(request, (await app.ReceiveAsync(request, timeout.Token))["code"], timeout.Token);

        // The token has the account scope too: the person lists their consents with it.
        using var consents = await app.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/account/consents", tokens.AccessToken!), timeout.Token);
        consents.EnsureSuccessStatusCode();
        var consent = Assert.Single((await consents.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).EnumerateArray());
        Assert.Equal("blog-cli", consent.GetProperty("clientId").GetString());
        Assert.Equal("Blog command line", consent.GetProperty("clientName").GetString());

        using var revoke = await app.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Delete,
            $"/api/account/consents/{consent.GetProperty("id").GetString()}", tokens.AccessToken!), timeout.Token);
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        Assert.False((await _identity.IntrospectAsync(tokens.AccessToken!, timeout.Token)).GetProperty("active").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, await app.CreatePostAsync(tokens.AccessToken!, timeout.Token));
        await page.GotoAsync(app.NewRequest().Url);
        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).WaitForAsync();
    }

    [Fact]
    public async Task A_code_is_worthless_without_its_verifier()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await _identity.RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();

        var request = app.NewRequest();
        await page.GotoAsync(request.Url);
        await SignInAsync(page, user.UserName, user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
        var response = await app.ReceiveAsync(request, timeout.Token);

        var stolen = await app.ExchangeAsync(request, response["code"], timeout.Token, verifier: app.NewRequest().Verifier);

        Assert.True(stolen.IsError);
        Assert.Equal("invalid_grant", stolen.Error);
    }

    [Fact]
    public async Task Deny_sends_access_denied_to_the_client()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await _identity.RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();

        var request = app.NewRequest();
        await page.GotoAsync(request.Url);
        await SignInAsync(page, user.UserName, user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync();

        var response = await app.ReceiveAsync(request, timeout.Token);
        Assert.Equal("access_denied", response.GetValueOrDefault("error"));
        Assert.False(response.ContainsKey("code"));
    }

    [Fact]
    public async Task Wrong_passwords_get_one_answer_for_every_account_and_then_a_wait()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await _identity.RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(app.NewRequest().Url);

        // An existing account with a wrong password and an unknown user name read the same.
        var wrongPassword = await FailSignInAsync(page, user.UserName, "not the password");
        var unknownUser = await FailSignInAsync(page, IdentityClient.NewUserName(), "not the password");
        Assert.Equal("The user name or password is invalid.", wrongPassword);
        Assert.Equal(wrongPassword, unknownUser);

        // The throttle of the token endpoint: past the free attempts (5) each failure makes this address wait, and
        // while it waits even the right password is refused.
        for (var attempt = 2; attempt <= 6; attempt++)
        {
            await FailSignInAsync(page, user.UserName, "not the password");
        }

        var throttled = await FailSignInAsync(page, user.UserName, user.Password);
        Assert.StartsWith("Too many failed sign-in attempts", throttled);
    }

    [Fact]
    public async Task Signing_out_ends_the_session_and_returns_to_the_client()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await _identity.RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        var request = app.NewRequest();
        await page.GotoAsync(request.Url);
        await SignInAsync(page, user.UserName, user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
        var tokens = await app.ExchangeAsync(request, (await app.ReceiveAsync(request, timeout.Token))["code"], timeout.Token);

        await page.GotoAsync($"{app.Authority}/connect/endsession?client_id=blog-cli&id_token_hint={tokens.IdentityToken}"
            + $"&post_logout_redirect_uri={Uri.EscapeDataString(app.Listener.SignedOutUri)}&state=bye");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        var signedOut = await app.Listener.NextAsync(timeout.Token);
        Assert.Equal("/signed-out", signedOut.AbsolutePath);
        Assert.Contains("state=bye", signedOut.Query);

        // The session is gone: the next authorization request asks for the password again.
        await page.GotoAsync(app.NewRequest().Url);
        await page.GetByLabel("Password").WaitForAsync();
        Assert.StartsWith($"{app.Authority}/signin", page.Url);
    }

    [Fact]
    public async Task The_pages_forbid_scripts_and_framing()
    {
        using var app = new NativeApp(fixture);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();

        var response = await page.GotoAsync(app.NewRequest().Url);

        var policy = await response!.HeaderValueAsync("content-security-policy");
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("script-src", policy);
        Assert.Equal("no-store", await response.HeaderValueAsync("cache-control"));
    }

    private static async Task SignInAsync(IPage page, string userName, string password)
    {
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        // The form's answer, not the page still showing: a refusal renders the same form again.
        await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            response => response.Request.Method == "POST" && response.Url.EndsWith("/signin", StringComparison.Ordinal));
        await page.WaitForLoadStateAsync();
    }

    /// <summary>Signs in expecting a refusal: its message.</summary>
    private static async Task<string> FailSignInAsync(IPage page, string userName, string password)
    {
        await SignInAsync(page, userName, password);
        return (await page.Locator("p.error").InnerTextAsync()).Trim();
    }
}
