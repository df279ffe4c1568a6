using System.Net;
using Blog.Tests.Fixtures;
using Blog.Tests.PostService;
using static Blog.Tests.Revocation.RevocationTests;
using static Blog.TestKit.PostServiceReplicas;

namespace Blog.Tests.Revocation;

/// <summary>
/// A login (an OpenIddict authorization: the password grant with offline_access and every refresh after it) ends as a
/// whole: when its refresh token is revoked (RFC 7009 section 2.1) and when a rotated refresh token is presented again
/// (RFC 9700 section 4.14.2). Both post service replicas then refuse every access token of that login, each called
/// on its own address, while another login of the same user goes on working.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class GrantRevocationTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Revoking_a_refresh_token_refuses_the_access_tokens_of_its_login_on_both_replicas()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var user = await _identity.RegisterAsync(timeout.Token);
        var login = await LoginAsync(user, timeout.Token);
        var refreshed = await RefreshAsync(login.RefreshToken!, timeout.Token);
        var otherLogin = await LoginAsync(user, timeout.Token);
        await WarmAsync(replicas, [login.AccessToken, refreshed.AccessToken, otherLogin.AccessToken], timeout.Token);

        await _identity.RevokeAsync(refreshed.RefreshToken!, timeout.Token);

        await AssertRefusedWithinAsync(replicas, [login.AccessToken, refreshed.AccessToken], timeout.Token);
        // Not only the caches: the user service itself says the login's access tokens are no longer active.
        Assert.False((await _identity.IntrospectAsync(refreshed.AccessToken, timeout.Token)).GetProperty("active").GetBoolean());
        await WarmAsync(replicas, [otherLogin.AccessToken], timeout.Token);
        Assert.Equal(HttpStatusCode.OK, (await _identity.RefreshAsync(otherLogin.RefreshToken!, timeout.Token)).Status);
    }

    [Fact]
    public async Task Replaying_a_rotated_refresh_token_ends_its_login_on_both_replicas()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var user = await _identity.RegisterAsync(timeout.Token);
        var login = await LoginAsync(user, timeout.Token);
        var rotated = await RefreshAsync(login.RefreshToken!, timeout.Token);
        var otherLogin = await LoginAsync(user, timeout.Token);
        await WarmAsync(replicas, [login.AccessToken, rotated.AccessToken, otherLogin.AccessToken], timeout.Token);

        // The first refresh token again, at once (within OpenIddict's default 30 s leeway): a thief's copy.
        var replay = await _identity.RefreshAsync(login.RefreshToken!, timeout.Token);

        Assert.True(replay.Status == HttpStatusCode.BadRequest, $"the replayed refresh token was accepted: {(int)replay.Status} {replay.Error}");
        Assert.Equal("invalid_grant", replay.Error);
        await AssertRefusedWithinAsync(replicas, [login.AccessToken, rotated.AccessToken], timeout.Token);
        var next = await _identity.RefreshAsync(rotated.RefreshToken!, timeout.Token);
        Assert.True(next.Status == HttpStatusCode.BadRequest, $"the login's newest refresh token still works after the replay: {(int)next.Status}");
        Assert.Equal("invalid_grant", next.Error);
        await WarmAsync(replicas, [otherLogin.AccessToken], timeout.Token);
    }

    private async Task<TokenResponse> LoginAsync(TestUser user, CancellationToken cancellationToken)
    {
        var login = await _identity.PasswordGrantAsync(user.UserName, user.Password, cancellationToken);
        Assert.True(login.Status == HttpStatusCode.OK && login.RefreshToken is not null, $"login: {(int)login.Status} {login.Body}");
        return login;
    }

    private async Task<TokenResponse> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var refreshed = await _identity.RefreshAsync(refreshToken, cancellationToken);
        Assert.True(refreshed.Status == HttpStatusCode.OK && refreshed.RefreshToken is not null, $"refresh: {(int)refreshed.Status} {refreshed.Body}");
        return refreshed;
    }
}
