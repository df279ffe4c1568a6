using Blog.Tests.Fixtures;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.BadInput;

/// <summary>
/// Accounts and tokens the cases of one corpus class share (a class fixture): a fresh account and token per case would
/// cost a password hash and a token request each, for nothing the case checks. Each is made once, on first use.
/// </summary>
public sealed class CorpusCallers
{
    private Task<(TestUser User, string Token)>? _author;
    private Task<string>? _authorAccountToken;
    private Task<string>? _adminToken;
    private Task<string>? _serviceToken;
    private readonly Dictionary<string, Task> _others = new(StringComparer.Ordinal);

    public Task<(TestUser User, string Token)> AuthorAsync(IdentityClient identity)
        => _author ??= WithTimeout(cancellationToken => NewAuthorAsync(identity, cancellationToken));

    /// <summary>The author's token for the user service's account API (scope account).</summary>
    public Task<string> AuthorAccountTokenAsync(IdentityClient identity)
        => _authorAccountToken ??= WithTimeout(async cancellationToken => await identity.GetAccountTokenAsync((await AuthorAsync(identity)).User, cancellationToken));

    /// <summary>The administrator's token for the user service's admin API (scope account).</summary>
    public Task<string> AdminTokenAsync(IdentityClient identity)
        => _adminToken ??= WithTimeout(async cancellationToken => await identity.GetAccountTokenAsync(await identity.GetAdminAsync(), cancellationToken));

    /// <summary>The post service's client-credentials token (scope users.read), as the user directory API expects.</summary>
    public Task<string> ServiceTokenAsync(IdentityClient identity)
        => _serviceToken ??= WithTimeout(async cancellationToken =>
        {
            var token = await identity.ClientCredentialsAsync(secret: null, cancellationToken);
            Assert.True(token.Status == System.Net.HttpStatusCode.OK, $"client credentials: {token.Body}");
            return token.AccessToken;
        });

    /// <summary>Anything else a class shares (a post, a target account), made once under <paramref name="key"/>.</summary>
    public Task<T> OnceAsync<T>(string key, Func<CancellationToken, Task<T>> create)
    {
        if (!_others.TryGetValue(key, out var made))
        {
            _others[key] = made = WithTimeout(create);
        }

        return (Task<T>)made;
    }

    private static async Task<T> WithTimeout<T>(Func<CancellationToken, Task<T>> create)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        return await create(timeout.Token);
    }
}
