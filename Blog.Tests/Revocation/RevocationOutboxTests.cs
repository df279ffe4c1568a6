using System.Diagnostics;
using System.Net;
using Blog.ServiceDefaults.Revocation;
using Blog.Tests.Fixtures;
using Blog.Tests.PostService;
using Npgsql;
using StackExchange.Redis;
using static Blog.TestKit.PostServiceReplicas;

namespace Blog.Tests.Revocation;

/// <summary>
/// A revocation the user service could not publish is not lost: it waits in the user service's database (the
/// revocation outbox) and reaches every replica once Redis takes it. The fault is Redis refusing PUBLISH (an ACL rule
/// on the user service's Redis user, for the test's duration): only the user service publishes, so the post service
/// keeps its cache and its subscription, exactly as when only the user service cannot reach Redis.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RevocationOutboxTests(BlogAppFixture fixture)
{
    /// <summary>Retry delays of the outbox delivery are capped well below this; a loaded machine needs the rest.</summary>
    private static readonly TimeSpan DeliveryBound = TimeSpan.FromSeconds(45);

    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task A_revocation_published_while_redis_refused_the_user_service_reaches_both_replicas_afterwards()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var (_, token) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        var hash = TokenHash.Compute(token);
        await WarmAsync(replicas, [token], timeout.Token);

        await using var redis = await ConnectAsync(timeout.Token);
        var userServiceUser = ConfigurationOptions.Parse((await fixture.GetEnvironmentAsync(BlogResources.UserService))["ConnectionStrings__redis"]).User
            ?? throw new InvalidOperationException("the user service connects to Redis without a user of its own");
        long pendingWhenAnswered, rowsWithTheRawToken;
        await DenyPublishAsync(redis, userServiceUser, deny: true);
        try
        {
            await _identity.RevokeAsync(token, timeout.Token);
            pendingWhenAnswered = await CountOutboxRowsAsync(RevocationContract.RevokedTokenKey(hash.Hex), timeout.Token);
            rowsWithTheRawToken = await CountOutboxRowsHoldingAsync(token, timeout.Token);

            // The fault is real: no replica heard of the revocation, both still serve the token from their cache.
            foreach (var replica in replicas)
            {
                Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replica, token, timeout.Token));
            }
        }
        finally
        {
            await DenyPublishAsync(redis, userServiceUser, deny: false);
        }

        await RevocationTests.AssertRefusedWithinAsync(replicas, [token], DeliveryBound, Stopwatch.StartNew(), "Redis took publications again", timeout.Token);

        // Written before the endpoint answered, removed once delivered; never the raw token, only its hash.
        Assert.Equal(1, pendingWhenAnswered);
        Assert.Equal(0, rowsWithTheRawToken);
        await FaultInjection.WaitUntilAsync(
            async () => await CountOutboxRowsAsync(RevocationContract.RevokedTokenKey(hash.Hex), timeout.Token) == 0,
            "the delivered revocation has left the outbox", timeout.Token);
    }

    [Fact]
    public async Task A_revocation_left_in_the_outbox_is_delivered_and_both_replicas_refuse_the_token()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        var (_, token) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        var hash = TokenHash.Compute(token);
        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replica, token, timeout.Token));
        }

        // What a user service that stopped between its database write and its publication leaves behind (the token
        // itself stays valid in the database here: only the delivered event can make the replicas refuse it).
        var revokedAt = DateTimeOffset.UtcNow;
        await using (var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, timeout.Token))
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO "RevocationOutbox" ("MarkerKey", "Event", "RevokedAt", "Attempts", "NextAttemptAt")
            VALUES (@key, @event, @revokedAt, 0, @revokedAt)
            """, database))
        {
            insert.Parameters.AddWithValue("key", RevocationContract.RevokedTokenKey(hash.Hex));
            insert.Parameters.AddWithValue("event", RevocationContract.Serialize(new RevocationEvent(hash.Hex, null, revokedAt.ToUnixTimeMilliseconds(), 0)));
            insert.Parameters.AddWithValue("revokedAt", revokedAt);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync(timeout.Token));
        }

        await FaultInjection.WaitUntilAsync(async () =>
            {
                foreach (var replica in replicas)
                {
                    if (await GetMineAsync(replica, token, timeout.Token) == HttpStatusCode.OK)
                    {
                        return false;
                    }
                }

                return true;
            }, "both replicas refuse the token of the outbox row", timeout.Token);
        await FaultInjection.WaitUntilAsync(
            async () => await CountOutboxRowsAsync(RevocationContract.RevokedTokenKey(hash.Hex), timeout.Token) == 0,
            "the delivered row has left the outbox", timeout.Token);
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        var connectionString = await fixture.App.GetConnectionStringAsync(BlogResources.Redis, cancellationToken) ?? throw new InvalidOperationException("no redis connection string");
        var options = ConfigurationOptions.Parse(connectionString);
        options.AllowAdmin = true;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>Takes PUBLISH from (or gives it back to) the user service's Redis user; the test connects as the administrator.</summary>
    private static async Task DenyPublishAsync(ConnectionMultiplexer redis, string user, bool deny)
    {
        await redis.GetServers().Single().ExecuteAsync("ACL", "SETUSER", user, deny ? "-publish" : "+publish");
    }

    private async Task<long> CountOutboxRowsAsync(string markerKey, CancellationToken cancellationToken)
    {
        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, cancellationToken);
        await using var command = new NpgsqlCommand("""SELECT count(*) FROM "RevocationOutbox" WHERE "MarkerKey" = @key""", database);
        command.Parameters.AddWithValue("key", markerKey);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<long> CountOutboxRowsHoldingAsync(string text, CancellationToken cancellationToken)
    {
        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, cancellationToken);
        await using var command = new NpgsqlCommand(
            """SELECT count(*) FROM "RevocationOutbox" WHERE strpos("MarkerKey", @text) > 0 OR strpos("Event", @text) > 0""", database);
        command.Parameters.AddWithValue("text", text);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

}
