using System.Net;
using System.Security.Cryptography;
using System.Text;
using BlogClients = Blog.ServiceDefaults.OAuth.BlogClients;
using Duende.IdentityModel.Client;
using Microsoft.AspNetCore.WebUtilities;

namespace Blog.Tests.Clients;

/// <summary>
/// The blog-cli native app as a test plays it: a loopback listener for the redirect, PKCE (S256) and state per
/// request, the code exchanged at the token endpoint with Duende.IdentityModel.
/// </summary>
public sealed class NativeApp(BlogApplication application) : IDisposable
{
    public const string Scopes = "openid profile offline_access posts account";

    public LoopbackListener Listener { get; } = new();

    public HttpClient UserService { get; } = application.CreateHttpClient(BlogResources.UserService);

    public string Authority => UserService.BaseAddress!.GetLeftPart(UriPartial.Authority);

    /// <summary>A new authorization request: its URL, and the verifier and state only this app knows.</summary>
    public AuthorizationRequest NewRequest(string scope = Scopes, string? codeChallengeMethod = "S256", string? redirectUri = null,
        string clientId = BlogClients.Cli)
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var challenge = codeChallengeMethod == "S256" ? Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) : verifier;
        var parameters = new Dictionary<string, string?>
        {
            ["client_id"] = clientId,
            ["response_type"] = "code",
            ["redirect_uri"] = redirectUri ?? Listener.CallbackUri,
            ["scope"] = scope,
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = codeChallengeMethod,
        };
        return new AuthorizationRequest(QueryHelpers.AddQueryString($"{Authority}/connect/authorize", parameters), verifier, state,
            redirectUri ?? Listener.CallbackUri, clientId);
    }

    /// <summary>The authorization response the browser brought to the listener, checked against the request's state.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ReceiveAsync(AuthorizationRequest request, CancellationToken cancellationToken)
    {
        var callback = await Listener.NextAsync(cancellationToken);
        Assert.Equal("/callback", callback.AbsolutePath);
        var response = QueryHelpers.ParseQuery(callback.Query).ToDictionary(field => field.Key, field => field.Value.ToString());
        Assert.Equal(request.State, response.GetValueOrDefault("state"));
        // RFC 9207: the response names its issuer, so a client talking to several cannot be mixed up.
        Assert.Equal(Authority + "/", response.GetValueOrDefault("iss"));
        return response;
    }

    public async Task<Duende.IdentityModel.Client.TokenResponse> ExchangeAsync(AuthorizationRequest request, string code, CancellationToken cancellationToken, string? verifier = null)
        => await UserService.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = $"{Authority}/connect/token",
            ClientId = request.ClientId,
            Code = code,
            RedirectUri = request.RedirectUri,
            CodeVerifier = verifier ?? request.Verifier,
        }, cancellationToken);

    /// <summary>Writes a post with the token: what the post service answered.</summary>
    public async Task<HttpStatusCode> CreatePostAsync(string accessToken, CancellationToken cancellationToken)
    {
        using var posts = application.CreateHttpClient(BlogResources.PostService);
        using var response = await posts.SendAsync(IdentityClient.Authorized(HttpMethod.Post, "/api/posts", accessToken,
            new { title = "Signed in through the browser", body = "Authorization code with PKCE.", tags = new[] { "oauth" } }), cancellationToken);
        return response.StatusCode;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        Listener.Dispose();
        UserService.Dispose();
    }
}

public sealed record AuthorizationRequest(string Url, string Verifier, string State, string RedirectUri, string ClientId);
