using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Blog.PostService.Authentication;
using Blog.ServiceDefaults.OAuth;
using Microsoft.Extensions.Options;

namespace Blog.PostService.Users;

/// <summary>
/// The post service's own access token for the user service's service API (client credentials, scope users.read):
/// obtained once, reused until it nears expiry, refreshed by one caller at a time.
/// </summary>
public sealed class ServiceTokenProvider(IHttpClientFactory httpClientFactory, IOptions<TokenValidationOptions> options, TimeProvider timeProvider)
{
    /// <summary>Renew this long before the token's expiry, so a token never expires on its way.</summary>
    private static readonly TimeSpan RenewalMargin = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (string Value, DateTimeOffset RenewAt)? _token;

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_token is { } current && timeProvider.GetUtcNow() < current.RenewAt)
        {
            return current.Value;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_token is { } refreshed && timeProvider.GetUtcNow() < refreshed.RenewAt)
            {
                return refreshed.Value;
            }

            var settings = options.Value;
            using var request = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = settings.DirectoryClientId,
                ["client_secret"] = settings.DirectoryClientSecret!,
                ["scope"] = BlogScopes.UsersRead,
            });
            using var client = httpClientFactory.CreateClient(UserServiceClientExtensions.ClientName);
            using var response = await client.PostAsync("/connect/token", request, cancellationToken);
            response.EnsureSuccessStatusCode();
            var token = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken)
                ?? throw new InvalidOperationException("The user service answered the token request with an empty body.");
            if (string.IsNullOrEmpty(token.AccessToken))
            {
                throw new InvalidOperationException("The user service's token response carries no access_token.");
            }

            var lifetime = TimeSpan.FromSeconds(token.ExpiresIn is > 0 ? token.ExpiresIn.Value : 300);
            var renewIn = lifetime > RenewalMargin * 2 ? lifetime - RenewalMargin : lifetime / 2;
            _token = (token.AccessToken, timeProvider.GetUtcNow() + renewIn);
            return token.AccessToken;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>After a 401 the cached token is no good (e.g. the user service restarted with other keys).</summary>
    public void Invalidate() => _token = null;

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int? ExpiresIn);
}
