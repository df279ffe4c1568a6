using System.Data.Common;
using Blog.ServiceDefaults.Revocation;
using Blog.Tests.Fixtures;
using Blog.UserService.Authorization;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Blog.Tests.Revocation;

/// <summary>
/// The revocation endpoint's publication: Redis first, the outbox only for what Redis did not take. At the endpoint
/// nothing is written before the publication (the token entry is marked revoked after it), so a revocation Redis took
/// needs no outbox row, and each statement it saved was a database round trip inside every revocation's answer.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RevocationPublisherTests(BlogAppFixture fixture)
{
    [Fact]
    public async Task A_token_revocation_redis_took_writes_nothing_to_the_database()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var redis = await fixture.ConnectRedisAsync(timeout.Token);
        var statements = new StatementCounter();
        await using var instance = RevocationParts.NewInstance(await fixture.UnpooledConnectionStringAsync(BlogResources.UsersDatabase, timeout.Token), redis, statements);
        var token = $"publisher-{Guid.NewGuid():N}";

        await instance.GetRequiredService<RevocationPublisher>().PublishTokenRevokedAsync(token);

        Assert.True(await redis.GetDatabase().KeyExistsAsync(RevocationContract.RevokedTokenKey(TokenHash.Compute(token).Hex)), "the marker is set");
        Assert.Empty(statements.Executed);
    }

    [Fact]
    public async Task A_token_revocation_redis_refused_is_in_the_outbox_when_the_call_returns()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(UnreachableRedis.ConnectionString);
        await using var instance = RevocationParts.NewInstance(await fixture.UnpooledConnectionStringAsync(BlogResources.UsersDatabase, timeout.Token), unreachable);
        var token = $"publisher-{Guid.NewGuid():N}";
        var markerKey = RevocationContract.RevokedTokenKey(TokenHash.Compute(token).Hex);

        await instance.GetRequiredService<RevocationPublisher>().PublishTokenRevokedAsync(token);

        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, timeout.Token);
        // Taken out again at once: the running user service's delivery would otherwise publish it (harmless, a test's token).
        await using var command = new NpgsqlCommand("""DELETE FROM "RevocationOutbox" WHERE "MarkerKey" = $1""", database) { Parameters = { new() { Value = markerKey } } };
        Assert.Equal(1, await command.ExecuteNonQueryAsync(timeout.Token));
    }

    /// <summary>Every statement EF Core sends, as its text.</summary>
    private sealed class StatementCounter : DbCommandInterceptor
    {
        public List<string> Executed { get; } = [];

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Executed.Add(command.CommandText);
            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Executed.Add(command.CommandText);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
