using System.Net;
using System.Text.Json;
using Blog.ServiceDefaults.OAuth;
using Blog.Tests.Fixtures;

namespace Blog.Tests.Security;

/// <summary>
/// The introspection endpoint authenticates its caller on every request, however recently the same client
/// authenticated: the user service remembers a successful (PBKDF2) check of a secret briefly, and that must never let a
/// wrong secret, another client's secret or a public client through.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class ClientSecretCheckTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task A_wrong_secret_is_refused_right_after_the_right_one_was_accepted()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        var user = await _identity.RegisterAsync(ct);
        var token = await _identity.GetAccessTokenAsync(user, ct);
        var secret = await fixture.GetParameterValueAsync(Blog.TestKit.BlogResources.PostServiceClientSecret);
        var directorySecret = await fixture.GetParameterValueAsync(Blog.TestKit.BlogResources.PostServiceDirectorySecret);

        // The right secret, twice: the second answer may come from the remembered check.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var accepted = await IntrospectAsync(BlogClients.PostService, secret, token, ct);
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.True(IsActive(await accepted.Content.ReadAsStringAsync(ct)));
        }

        foreach (var (what, clientId, presented) in new (string, string, string?)[]
                 {
                     ("a wrong secret", BlogClients.PostService, secret + "x"),
                     ("the right secret cut short", BlogClients.PostService, secret[..^1]),
                     ("the right secret in other case", BlogClients.PostService, SwapCase(secret)),
                     ("the other client's secret", BlogClients.PostService, directorySecret),
                     ("this client's secret for the other client", BlogClients.PostServiceDirectory, secret),
                     ("no secret", BlogClients.PostService, null),
                 })
        {
            if (presented == secret && clientId == BlogClients.PostService)
            {
                continue; // a secret without letters has no other case
            }

            using var refused = await IntrospectAsync(clientId, presented, token, ct);
            var body = await refused.Content.ReadAsStringAsync(ct);
            Assert.True(refused.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest,
                $"{what}: {(int)refused.StatusCode} {body}");
            Assert.False(IsActive(body), $"{what}: {body}");
        }

        // Not vacuous: the right secret is still accepted after the refusals.
        using var again = await IntrospectAsync(BlogClients.PostService, secret, token, ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    private Task<HttpResponseMessage> IntrospectAsync(string clientId, string? secret, string token, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string> { ["client_id"] = clientId, ["token"] = token };
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }

        return _identity.UserService.PostAsync("/connect/introspect", new FormUrlEncodedContent(form), cancellationToken);
    }

    private static bool IsActive(string body)
    {
        using var answer = JsonDocument.Parse(body);
        return answer.RootElement.TryGetProperty("active", out var active) && active.ValueKind == JsonValueKind.True;
    }

    private static string SwapCase(string value)
        => string.Concat(value.Select(character => char.IsUpper(character) ? char.ToLowerInvariant(character) : char.ToUpperInvariant(character)));
}
