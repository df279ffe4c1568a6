using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Duende.IdentityModel.OidcClient;
using Duende.IdentityModel.OidcClient.Browser;
using Duende.IdentityModel.OidcClient.Results;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;
using BlogClients = Blog.ServiceDefaults.OAuth.BlogClients;

namespace Blog.Tests.Clients;

/// <summary>
/// A certified third-party client, Duende.IdentityModel.OidcClient (RFC 8252 native apps), signs in with its default
/// settings: discovery policy (issuer equal to the authority, endpoints under it), state, PKCE, the authorization
/// response's iss. Its identity token check is pluggable and off by default; it gets Microsoft.IdentityModel's default
/// validation (signature from the discovery document's keys, issuer, audience, lifetime).
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class OidcClientTests(BlogAppFixture fixture, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task OidcClient_signs_in_through_the_browser_and_writes_a_post()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var user = await new IdentityClient(fixture).RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        await using var context = await chromium.NewContextAsync();
        var client = new OidcClient(new OidcClientOptions
        {
            Authority = app.Authority,
            ClientId = BlogClients.Cli,
            Scope = NativeApp.Scopes,
            RedirectUri = app.Listener.CallbackUri,
            Browser = new SignInBrowser(context, app.Listener, user),
            IdentityTokenValidator = new DefaultIdentityTokenValidator(),
        });

        var result = await client.LoginAsync(cancellationToken: timeout.Token);

        Assert.False(result.IsError, result.Error + " " + result.ErrorDescription);
        Assert.Equal(user.Id, result.User.FindFirst("sub")?.Value);
        Assert.Equal(user.UserName, result.User.FindFirst("preferred_username")?.Value);
        Assert.NotNull(result.RefreshToken);
        Assert.Equal(HttpStatusCode.Created, await app.CreatePostAsync(result.AccessToken, timeout.Token));

        var refreshed = await client.RefreshTokenAsync(result.RefreshToken, cancellationToken: timeout.Token);
        Assert.False(refreshed.IsError, refreshed.Error);
    }

    /// <summary>The system browser of a native app, played by Chromium: the person signs in and allows.</summary>
    private sealed class SignInBrowser(IBrowserContext context, LoopbackListener listener, TestUser user) : Duende.IdentityModel.OidcClient.Browser.IBrowser
    {
        public async Task<BrowserResult> InvokeAsync(BrowserOptions options, CancellationToken cancellationToken = default)
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(options.StartUrl);
            await page.GetByLabel("User name").FillAsync(user.UserName);
            await page.GetByLabel("Password").FillAsync(user.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
            var callback = await listener.NextAsync(cancellationToken);
            return new BrowserResult { ResultType = BrowserResultType.Success, Response = callback.AbsoluteUri };
        }
    }

    /// <summary>Microsoft.IdentityModel's JsonWebTokenHandler with its default checks, keys and issuer from discovery.</summary>
    private sealed class DefaultIdentityTokenValidator : IIdentityTokenValidator
    {
        public async Task<IdentityTokenValidationResult> ValidateAsync(string identityToken, OidcClientOptions options, CancellationToken cancellationToken = default)
        {
            var keys = options.ProviderInformation.KeySet.Keys
                .Select(key => new Microsoft.IdentityModel.Tokens.JsonWebKey(JsonSerializer.Serialize(key)))
                .ToList();
            var result = await new JsonWebTokenHandler().ValidateTokenAsync(identityToken, new TokenValidationParameters
            {
                ValidIssuer = options.ProviderInformation.IssuerName,
                ValidAudience = options.ClientId,
                IssuerSigningKeys = keys,
                NameClaimType = "name",
            });
            return result.IsValid
                ? new IdentityTokenValidationResult { User = new ClaimsPrincipal(result.ClaimsIdentity), SignatureAlgorithm = ((JsonWebToken)result.SecurityToken).Alg }
                : new IdentityTokenValidationResult { Error = result.Exception?.Message ?? "invalid identity token" };
        }
    }
}
