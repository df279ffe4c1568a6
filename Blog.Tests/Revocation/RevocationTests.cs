using System.Diagnostics;
using System.Net;
using Blog.Tests.Fixtures;
using Blog.Tests.PostService;
using Blog.Tests.Security;
using Npgsql;
using static Blog.TestKit.PostServiceReplicas;

namespace Blog.Tests.Revocation;

/// <summary>
/// Revocation reaches every post service replica at once, through Redis pub/sub, while the shared cache keeps
/// saving introspections. Each replica is called on its own address, not through the load-balancing proxy.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RevocationTests(BlogAppFixture fixture)
{
    internal static readonly TimeSpan RefusalBound = TimeSpan.FromSeconds(1);

    /// <summary>While the revocation channel is down: the degraded bound, plus the time a request and a poll take.</summary>
    private static readonly TimeSpan DegradedRefusalBound = new Blog.PostService.Authentication.TokenValidationOptions().DegradedStalenessBound + TimeSpan.FromSeconds(1.5);
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Runs_two_replicas()
        => Assert.Equal(2, (await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName)).Count);

    [Fact]
    public async Task A_token_used_on_both_replicas_is_introspected_once()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        await using var logs = await ResourceLogWatcher.StartAsync(fixture, PostServiceTestContext.PostServiceName);
        var (user, token) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);

        await WarmAsync(replicas, [token], timeout.Token);

        // Each replica then introspects a marker token of its own (new to every cache level): once each marker's line
        // is in, any second introspection of the token under test, logged earlier, would be in too.
        foreach (var replica in replicas)
        {
            var marker = await _identity.GetAccessTokenAsync(user, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replica, marker, timeout.Token));
            await logs.WaitForAsync(PostServiceTestContext.IntrospectionLine(marker), 1, BlogAppFixture.DefaultTimeout);
        }

        Assert.Equal(1, logs.Count(PostServiceTestContext.IntrospectionLine(token)));
    }

    [Fact]
    public async Task A_revoked_token_is_refused_by_both_replicas_within_a_second()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var (_, token) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        await WarmAsync(replicas, [token], timeout.Token);

        await _identity.RevokeAsync(token, timeout.Token);

        await AssertRefusedWithinAsync(replicas, [token], timeout.Token);
    }

    [Fact]
    public async Task Both_replicas_refuse_a_revoked_token_before_the_user_service_has_written_the_revocation()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var (_, token) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        await WarmAsync(replicas, [token], timeout.Token);
        var tokenId = (await ExpiredTokens.ReadPayloadAsync(fixture, token)).GetProperty("oi_tkn_id").GetString()!;

        // The test holds the token's row: the revocation endpoint can read it, but not mark it revoked, until the
        // transaction ends. The caches must hear of the revocation before that write, not after it.
        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, timeout.Token);
        await using var hold = await database.BeginTransactionAsync(timeout.Token);
        Assert.Equal("valid", await ReadTokenStatusAsync(database, tokenId, timeout.Token, forUpdate: true));

        var revocation = _identity.RevokeAsync(token, timeout.Token);
        await AssertRefusedWithinAsync(replicas, [token], timeout.Token);

        Assert.False(revocation.IsCompleted, "the revocation endpoint answered although its database write was held back");
        await hold.RollbackAsync(timeout.Token);
        await revocation;
        Assert.Equal("revoked", await ReadTokenStatusAsync(database, tokenId, timeout.Token, forUpdate: false));
    }

    private static async Task<string?> ReadTokenStatusAsync(NpgsqlConnection database, string tokenId, CancellationToken cancellationToken, bool forUpdate)
    {
        await using var command = new NpgsqlCommand(
            forUpdate
                ? """SELECT "Status" FROM "OpenIddictTokens" WHERE "Id" = @id FOR UPDATE"""
                : """SELECT "Status" FROM "OpenIddictTokens" WHERE "Id" = @id""",
            database);
        command.Parameters.AddWithValue("id", tokenId);
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    [Fact]
    public async Task Removing_the_author_role_stops_post_creation_with_the_old_token_within_a_second()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var (author, token) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        await WarmAsync(replicas, [token], timeout.Token);
        var adminToken = await _identity.GetAccountTokenAsync(await _identity.GetAdminAsync(), timeout.Token);

        using (var demoted = await _identity.UserService.SendAsync(
            IdentityClient.Authorized(HttpMethod.Put, $"/api/admin/users/{author.Id}/roles", adminToken, new { roles = Array.Empty<string>() }), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        }

        var deadline = Stopwatch.StartNew();
        foreach (var replica in replicas)
        {
            while (true)
            {
                using var create = await replica.SendAsync(IdentityClient.Authorized(HttpMethod.Post, "/api/posts", token,
                    new { title = "after demotion", body = "text", tags = Array.Empty<string>() }), timeout.Token);
                if (create.StatusCode != HttpStatusCode.Created)
                {
                    Assert.True(create.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"unexpected {(int)create.StatusCode}");
                    break;
                }

                Assert.True(deadline.Elapsed < RefusalBound, $"{replica.BaseAddress} still created posts {deadline.ElapsedMilliseconds} ms after the demotion");
                await Task.Delay(20, timeout.Token);
            }
        }
    }

    [Fact]
    public async Task Logout_everywhere_refuses_every_token_of_the_user_on_both_replicas()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var (user, first) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        var second = await _identity.GetAccessTokenAsync(user, timeout.Token);
        var account = await _identity.GetAccountTokenAsync(user, timeout.Token);
        await WarmAsync(replicas, [first, second], timeout.Token);

        // Logged out with the account token (the user service's): every post-service token of the user goes too.
        using (var logout = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Post, "/api/account/logout-all", account), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        await AssertRefusedWithinAsync(replicas, [first, second], timeout.Token);
        using var me = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/account/me", account), timeout.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_user_refuses_the_users_token_on_both_replicas_within_a_second()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var (user, token) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        await WarmAsync(replicas, [token], timeout.Token);
        var adminToken = await _identity.GetAccountTokenAsync(await _identity.GetAdminAsync(), timeout.Token);

        using (var deleted = await _identity.UserService.SendAsync(
            IdentityClient.Authorized(HttpMethod.Delete, $"/api/admin/users/{user.Id}", adminToken), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await AssertRefusedWithinAsync(replicas, [token], timeout.Token);
    }

    /// <summary>
    /// Revoked while Redis is stopped, the event cannot be published: each replica serves its cached entry at most the
    /// degraded bound (docs/oauth.md), then introspects and refuses; once Redis is back it stays refused (the in-process
    /// level restarts empty, and nothing in Redis may bring the entry back).
    /// </summary>
    [Fact]
    public async Task A_token_revoked_while_Redis_is_stopped_is_refused_by_every_replica_within_the_degraded_bound_and_stays_refused()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var (_, token) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        await WarmAsync(replicas, [token], timeout.Token);
        var redis = Assert.Single(await fixture.GetInstanceIdsAsync(BlogResources.Redis));

        await fixture.ExecuteCommandAsync(redis, BlogResources.Redis, KnownResourceCommands.StopCommand, TimeSpan.FromMinutes(1));
        Stopwatch sinceRevocation;
        try
        {
            sinceRevocation = Stopwatch.StartNew();
            await _identity.RevokeAsync(token, timeout.Token);
        }
        finally
        {
            await fixture.ExecuteCommandAsync(redis, BlogResources.Redis, KnownResourceCommands.StartCommand, TimeSpan.FromMinutes(1));
        }

        await AssertRefusedWithinAsync(replicas, [token], DegradedRefusalBound, sinceRevocation, "the revocation, Redis stopped", timeout.Token);

        // Past the bound, with the channel back, the revocation is not forgotten anywhere.
        await Task.Delay(new Blog.PostService.Authentication.TokenValidationOptions().DegradedStalenessBound, timeout.Token);
        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GetMineAsync(replica, token, timeout.Token));
        }

        // And the cache works again afterwards: a fresh token is accepted everywhere.
        var (_, fresh) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        await WarmAsync(replicas, [fresh], timeout.Token);
    }

    internal static Task AssertRefusedWithinAsync(IReadOnlyList<HttpClient> replicas, string[] tokens, CancellationToken cancellationToken)
        => AssertRefusedWithinAsync(replicas, tokens, RefusalBound, Stopwatch.StartNew(), "the revocation", cancellationToken);

    /// <summary>
    /// Every replica refuses every token (401) before <paramref name="bound"/> has passed on <paramref name="since"/>,
    /// the clock started at <paramref name="sinceWhat"/>; each replica is asked again until it does.
    /// </summary>
    internal static async Task AssertRefusedWithinAsync(
        IReadOnlyList<HttpClient> replicas, string[] tokens, TimeSpan bound, Stopwatch since, string sinceWhat, CancellationToken cancellationToken)
    {
        foreach (var replica in replicas)
        {
            foreach (var token in tokens)
            {
                HttpStatusCode status;
                while ((status = await GetMineAsync(replica, token, cancellationToken)) == HttpStatusCode.OK)
                {
                    Assert.True(since.Elapsed < bound,
                        $"{replica.BaseAddress} still accepted a revoked token {since.ElapsedMilliseconds} ms after {sinceWhat} (bound {bound.TotalSeconds:F1} s)");
                    await Task.Delay(20, cancellationToken);
                }

                Assert.Equal(HttpStatusCode.Unauthorized, status);
            }
        }
    }
}
