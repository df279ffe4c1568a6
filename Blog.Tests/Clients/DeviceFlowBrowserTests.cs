using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Microsoft.Playwright;
using BlogClients = Blog.ServiceDefaults.OAuth.BlogClients;

namespace Blog.Tests.Clients;

/// <summary>
/// The device authorization grant (RFC 8628) end to end: blog-cli asks for a code and polls the token endpoint while
/// a person, in a real browser, signs in on the verification page and allows or denies it.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class DeviceFlowBrowserTests(BlogAppFixture fixture, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const string DeviceScopes = "openid profile offline_access posts";

    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task A_device_gets_tokens_once_the_person_allows_it_and_is_told_to_slow_down_before()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await _identity.RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        var device = await AuthorizeDeviceAsync(app, timeout.Token);
        Assert.Equal($"{app.Authority}/connect/verify", device.GetProperty("verification_uri").GetString());
        Assert.InRange(device.GetProperty("expires_in").GetInt32(), 60, 1800);
        var deviceCode = device.GetProperty("device_code").GetString()!;

        // Nobody has approved yet; polling again at once is too fast.
        Assert.Equal("authorization_pending", await PollErrorAsync(app, deviceCode, timeout.Token));
        Assert.Equal("slow_down", await PollErrorAsync(app, deviceCode, timeout.Token));

        // The person follows verification_uri_complete (the code comes along), signs in, compares the code, allows.
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(device.GetProperty("verification_uri_complete").GetString()!);
        await SignInAsync(page, user);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Allow Blog command line?" }).WaitForAsync();
        Assert.Equal(device.GetProperty("user_code").GetString(), await page.Locator("code.user-code").InnerTextAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Device connected" }).WaitForAsync();

        var tokens = await PollUntilAnsweredAsync(app, deviceCode, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.True(tokens.Body.TryGetProperty("refresh_token", out _));
        Assert.Equal(HttpStatusCode.Created, await app.CreatePostAsync(tokens.AccessToken, timeout.Token));
    }

    [Fact]
    public async Task A_denied_device_gets_access_denied()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await _identity.RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        var device = await AuthorizeDeviceAsync(app, timeout.Token);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();

        // This time the person types the code on the verification page itself.
        await page.GotoAsync(device.GetProperty("verification_uri").GetString()!);
        await SignInAsync(page, user);
        await page.GetByLabel("Code").FillAsync(device.GetProperty("user_code").GetString()!);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Device refused" }).WaitForAsync();

        var answer = await PollUntilAnsweredAsync(app, device.GetProperty("device_code").GetString()!, timeout.Token);
        Assert.Equal("access_denied", answer.Error);
    }

    [Fact]
    public async Task Guessing_codes_is_throttled()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await _identity.RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        var device = await AuthorizeDeviceAsync(app, timeout.Token);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{app.Authority}/connect/verify");
        await SignInAsync(page, user);

        // Past the free attempts each wrong code makes this person and address wait; meanwhile even the right code is refused.
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            Assert.Equal("That code is not valid or has expired. Check the code your device shows.",
                await EnterCodeAsync(page, $"{Random.Shared.Next(100_000_000, 999_999_999)}"));
        }

        Assert.Equal("Too many wrong codes from this address; retry later.", await EnterCodeAsync(page, device.GetProperty("user_code").GetString()!));
    }

    private static async Task<string> EnterCodeAsync(IPage page, string code)
    {
        await page.GetByLabel("Code").FillAsync(code);
        await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync(),
            response => response.Request.Method == "POST" && response.Url.EndsWith("/connect/verify", StringComparison.Ordinal));
        await page.WaitForLoadStateAsync();
        return (await page.Locator("p.error").InnerTextAsync()).Trim();
    }

    private static async Task<JsonElement> AuthorizeDeviceAsync(NativeApp app, CancellationToken cancellationToken)
    {
        using var response = await app.UserService.PostAsync("/connect/device", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = BlogClients.Cli,
            ["scope"] = DeviceScopes,
        }), cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body;
    }

    private static async Task<TokenResponse> PollAsync(NativeApp app, string deviceCode, CancellationToken cancellationToken)
    {
        using var response = await app.UserService.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
            ["client_id"] = BlogClients.Cli,
            ["device_code"] = deviceCode,
        }), cancellationToken);
        return new TokenResponse(response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken));
    }

    private static async Task<string?> PollErrorAsync(NativeApp app, string deviceCode, CancellationToken cancellationToken)
        => (await PollAsync(app, deviceCode, cancellationToken)).Error;

    /// <summary>Polls as a well-behaved device does: at the interval, until the answer is no longer "pending".</summary>
    private static async Task<TokenResponse> PollUntilAnsweredAsync(NativeApp app, string deviceCode, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(5.5), cancellationToken);
            var answer = await PollAsync(app, deviceCode, cancellationToken);
            if (answer.Error is not ("authorization_pending" or "slow_down"))
            {
                return answer;
            }
        }
    }

    private static async Task SignInAsync(IPage page, TestUser user)
    {
        await page.GetByLabel("User name").FillAsync(user.UserName);
        await page.GetByLabel("Password").FillAsync(user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }
}
