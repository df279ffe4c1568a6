using System.Net;
using System.Net.Http.Json;
using Blog.ServiceDefaults.OAuth;
using Blog.Web.SignIn;

namespace Blog.Web.Account;

public sealed record AccountView(string Id, string UserName, string DisplayName, string? Email, IReadOnlyList<string> Roles);

public sealed record ConsentView(string Id, string ClientId, string ClientName, IReadOnlyList<string> Scopes, DateTimeOffset? CreatedAt);

/// <summary>The user service's account API with the person's token of scope account (audience user-service).</summary>
public sealed class AccountClient(HttpClient http, UserTokens tokens)
{
    public const string ServiceName = "user service";

    public async Task<AccountView?> GetMeAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "/api/account/me", cancellationToken);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<AccountView>(cancellationToken) : null;
    }

    public async Task<IReadOnlyList<ConsentView>> ListConsentsAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "/api/account/consents", cancellationToken);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<List<ConsentView>>(cancellationToken) ?? [] : [];
    }

    /// <summary>Withdraws a consent; true when it existed and was the caller's.</summary>
    public async Task<bool> WithdrawConsentAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"/api/account/consents/{Uri.EscapeDataString(id)}", cancellationToken);
        return response.StatusCode == HttpStatusCode.NoContent;
    }

    /// <summary>Revokes every token of the person, this app's included.</summary>
    public async Task SignOutEverywhereAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/account/logout-all", cancellationToken);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
        => http.SendAsync(tokens, BlogScopes.Account, ServiceName, () => new HttpRequestMessage(method, path), authenticated: true, cancellationToken);
}
