using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Blog.TestKit;

/// <summary>A person's account as the tests create it.</summary>
public sealed record TestUser(string Id, string UserName, string Password, string? DisplayName = null);

/// <summary>The token endpoint's answer (RFC 6749 section 5.1) or error (5.2).</summary>
public sealed record TokenResponse(HttpStatusCode Status, JsonElement Body)
{
    public string AccessToken => Body.GetProperty("access_token").GetString()!;

    public string? RefreshToken => Body.TryGetProperty("refresh_token", out var token) ? token.GetString() : null;

    public string? Error => Body.TryGetProperty("error", out var error) ? error.GetString() : null;
}

/// <summary>
/// Talks OAuth 2 and the account API to the running user service, as the clients of Blog do: one token per resource,
/// a post-service token (scope posts, audience post-service) and an account token (scope account, audience
/// user-service) for the user service's account and admin APIs. <see cref="CreateClientAsync"/> hands out clients that
/// send a user's token with every request.
/// </summary>
public sealed class IdentityClient(BlogApplication application)
{
    /// <summary>A person's login for the post service: its access token has the audience post-service only.</summary>
    public const string PeopleScopes = "openid profile roles offline_access posts";

    /// <summary>A person's login for the user service's account and admin APIs: audience user-service only.</summary>
    public const string AccountScopes = "openid profile roles offline_access account";

    public HttpClient UserService { get; } = application.CreateHttpClient(BlogResources.UserService);

    public static string NewUserName() => $"user-{Guid.NewGuid():N}"[..21];

    public static string NewPassword() => $"Pw-{Guid.NewGuid():N}!A1";

    /// <summary>A display name that shares nothing with the user name, so a test can tell which of the two an answer shows.</summary>
    public static string NewDisplayName() => $"Writer {Guid.NewGuid():N}"[..17];

    public async Task<TestUser> RegisterAsync(CancellationToken cancellationToken)
    {
        var userName = NewUserName();
        var displayName = NewDisplayName();
        var password = NewPassword();
        using var response = await UserService.PostAsJsonAsync("/api/account/register",
            new { userName, displayName, email = $"{userName}@example.test", password }, cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"registration: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return new TestUser(body.GetProperty("id").GetString()!, userName, password, displayName);
    }

    public Task<TokenResponse> PasswordGrantAsync(string userName, string password, CancellationToken cancellationToken, string scope = PeopleScopes)
        => RequestTokenAsync(new()
        {
            ["grant_type"] = "password",
            ["client_id"] = "blog-client",
            ["username"] = userName,
            ["password"] = password,
            ["scope"] = scope,
        }, cancellationToken);

    /// <summary>The user's token for the post service (scope posts); the user service's own APIs refuse it.</summary>
    public Task<string> GetAccessTokenAsync(TestUser user, CancellationToken cancellationToken)
        => GetTokenAsync(user, PeopleScopes, cancellationToken);

    /// <summary>The user's token for the user service's account and admin APIs (scope account); the post service refuses it.</summary>
    public Task<string> GetAccountTokenAsync(TestUser user, CancellationToken cancellationToken)
        => GetTokenAsync(user, AccountScopes, cancellationToken);

    /// <summary>A refresh; with <paramref name="scope"/>, an access token for that subset of the granted scopes only.</summary>
    public Task<TokenResponse> RefreshAsync(string refreshToken, CancellationToken cancellationToken, string? scope = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = "blog-client",
            ["refresh_token"] = refreshToken,
        };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        return RequestTokenAsync(form, cancellationToken);
    }

    public async Task<TokenResponse> ClientCredentialsAsync(string? secret, CancellationToken cancellationToken)
        => await RequestTokenAsync(new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "post-service-directory",
            ["client_secret"] = secret ?? await application.GetParameterValueAsync(BlogResources.PostServiceDirectorySecret),
            ["scope"] = "users.read",
        }, cancellationToken);

    /// <summary>The post service's client-credentials token (scope users.read), whose audience is not the post service.</summary>
    public async Task<string> GetServiceTokenAsync(CancellationToken cancellationToken)
    {
        var response = await ClientCredentialsAsync(secret: null, cancellationToken);
        Assert.True(response.Status == HttpStatusCode.OK, $"client credentials failed: {response.Body}");
        return response.AccessToken;
    }

    public async Task<TestUser> GetAdminAsync()
        => new("", await application.GetParameterValueAsync(BlogResources.AdminUserName), await application.GetParameterValueAsync(BlogResources.AdminPassword));

    /// <summary>Introspects as the post service does (RFC 7662).</summary>
    public async Task<JsonElement> IntrospectAsync(string token, CancellationToken cancellationToken)
    {
        using var response = await UserService.PostAsync("/connect/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = "post-service",
            ["client_secret"] = await application.GetParameterValueAsync(BlogResources.PostServiceClientSecret),
            ["token"] = token,
        }), cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    /// <summary>The audiences (aud) of an introspection answer or token payload: a single string or an array.</summary>
    public static IReadOnlyList<string?> Audiences(JsonElement claims)
        => claims.GetProperty("aud") is { ValueKind: JsonValueKind.Array } array
            ? [.. array.EnumerateArray().Select(audience => audience.GetString())]
            : [claims.GetProperty("aud").GetString()];

    /// <summary>Revokes as the public client does (RFC 7009).</summary>
    public async Task RevokeAsync(string token, CancellationToken cancellationToken)
    {
        using var response = await UserService.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = "blog-client",
            ["token"] = token,
        }), cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// A client of the service <paramref name="scope"/> is for (<see cref="PeopleScopes"/>: the post service,
    /// <see cref="AccountScopes"/>: the user service) that sends the user's new token for that scope with every request.
    /// </summary>
    public async Task<HttpClient> CreateClientAsync(TestUser user, CancellationToken cancellationToken, string scope = PeopleScopes)
        => CreateClient(scope == AccountScopes ? BlogResources.UserService : BlogResources.PostService, await GetTokenAsync(user, scope, cancellationToken));

    /// <summary>A client of <paramref name="resourceName"/> (through Aspire's proxy) that sends <paramref name="accessToken"/> with every request.</summary>
    public HttpClient CreateClient(string resourceName, string accessToken)
    {
        var client = application.CreateHttpClient(resourceName);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    public static HttpRequestMessage Authorized(HttpMethod method, string uri, string accessToken, object? json = null)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        if (json is not null)
        {
            request.Content = JsonContent.Create(json);
        }

        return request;
    }

    private async Task<string> GetTokenAsync(TestUser user, string scope, CancellationToken cancellationToken)
    {
        var token = await PasswordGrantAsync(user.UserName, user.Password, cancellationToken, scope);
        Assert.True(token.Status == HttpStatusCode.OK, $"password grant ({scope}) failed: {token.Body}");
        return token.AccessToken;
    }

    private async Task<TokenResponse> RequestTokenAsync(Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        using var response = await UserService.PostAsync("/connect/token", new FormUrlEncodedContent(form), cancellationToken);
        return new TokenResponse(response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken));
    }
}
