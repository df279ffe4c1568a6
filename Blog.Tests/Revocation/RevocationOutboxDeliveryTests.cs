using System.Collections.Concurrent;
using Blog.ServiceDefaults.Revocation;
using Blog.Tests.Fixtures;
using Blog.UserService.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Blog.Tests.Revocation;

/// <summary>
/// Several user service instances delivering the same outbox at once: two delivery services built here against the
/// application's own usersdb and Redis (and the running user service's own one beside them) race over the same rows;
/// each revocation is published once and every row is gone afterwards.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RevocationOutboxDeliveryTests(BlogAppFixture fixture)
{
    private const int Rows = 300; // three batches: the instances overlap on more than one

    [Fact]
    public async Task Racing_instances_publish_each_outbox_row_exactly_once()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        // Unpooled, as the fixture's own connections (PostgreSQL restarts in other tests end pooled connections).
        var usersDb = await fixture.UnpooledConnectionStringAsync(BlogResources.UsersDatabase, timeout.Token);
        await using var redis = await fixture.ConnectRedisAsync(timeout.Token);

        var hashes = Enumerable.Range(0, Rows).Select(_ => TokenHash.Compute($"outbox-race-{Guid.NewGuid():N}").Hex).ToHashSet(StringComparer.Ordinal);
        var received = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var channel = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RevocationContract.Channel));
        channel.OnMessage(message =>
        {
            if (RevocationContract.Deserialize(message.Message!) is { TokenHash: { } hash } && hashes.Contains(hash))
            {
                received.AddOrUpdate(hash, 1, (_, count) => count + 1);
            }
        });

        await using var first = RevocationParts.NewInstance(usersDb, redis);
        await using var second = RevocationParts.NewInstance(usersDb, redis);
        // Both ready (EF's model built, connections tried) before the rows exist, so that they really start together.
        await first.GetRequiredService<RevocationOutboxDelivery>().DeliverDueAsync(timeout.Token);
        await second.GetRequiredService<RevocationOutboxDelivery>().DeliverDueAsync(timeout.Token);
        // Rows written due in the past, as the user service leaves them when Redis refused a publication.
        await InsertAsync(hashes, timeout.Token);

        await Task.WhenAll(DeliverUntilEmptyAsync(first, hashes, timeout.Token), DeliverUntilEmptyAsync(second, hashes, timeout.Token));
        await FaultInjection.WaitUntilAsync(() => Task.FromResult(received.Count == Rows), $"all {Rows} revocations were received", timeout.Token);
        await Task.Delay(TimeSpan.FromMilliseconds(500), timeout.Token); // a duplicate published last would arrive by now

        Assert.Empty(received.Where(pair => pair.Value != 1).Select(pair => $"{pair.Key[..16]} received {pair.Value} times"));
        Assert.Equal(0, await CountAsync(hashes, timeout.Token));
    }

    private async Task DeliverUntilEmptyAsync(ServiceProvider instance, IReadOnlyCollection<string> hashes, CancellationToken cancellationToken)
    {
        var delivery = instance.GetRequiredService<RevocationOutboxDelivery>();
        while (await CountAsync(hashes, cancellationToken) > 0)
        {
            await delivery.DeliverDueAsync(cancellationToken);
        }
    }

    private async Task InsertAsync(IEnumerable<string> hashes, CancellationToken cancellationToken)
    {
        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, cancellationToken);
        var revokedAt = DateTimeOffset.UtcNow;
        await using var batch = new NpgsqlBatch(database);
        foreach (var hash in hashes)
        {
            var insert = new NpgsqlBatchCommand(
                """
                INSERT INTO "RevocationOutbox" ("MarkerKey", "Event", "RevokedAt", "Attempts", "NextAttemptAt")
                VALUES ($1, $2, $3, 0, $3)
                """);
            insert.Parameters.Add(new NpgsqlParameter { Value = RevocationContract.RevokedTokenKey(hash) });
            insert.Parameters.Add(new NpgsqlParameter { Value = RevocationContract.Serialize(new RevocationEvent(hash, null, revokedAt.ToUnixTimeMilliseconds(), 0)) });
            insert.Parameters.Add(new NpgsqlParameter { Value = revokedAt });
            batch.BatchCommands.Add(insert);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<long> CountAsync(IEnumerable<string> hashes, CancellationToken cancellationToken)
    {
        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, cancellationToken);
        await using var command = new NpgsqlCommand("""SELECT count(*) FROM "RevocationOutbox" WHERE "MarkerKey" = ANY(@keys)""", database);
        command.Parameters.AddWithValue("keys", hashes.Select(RevocationContract.RevokedTokenKey).ToArray());
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
