using Blog.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Blog.Tests.Revocation;

/// <summary>
/// The user service runs its revocation path's database statements once at start, so that the first revocations are
/// not slower than later ones, and leaves nothing behind: no outbox row (nothing published later), no token entry.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RevocationPathWarmUpTests(BlogAppFixture fixture)
{
    private const string RanLine = "Ran the revocation path's database statements once (rolled back)";
    private const string FailedLine = "Could not run the revocation path's database statements";

    [Fact]
    public async Task The_revocation_path_runs_once_at_start_and_leaves_nothing_behind()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        var logs = fixture.App.Services.GetRequiredService<ResourceLoggerService>();

        foreach (var instanceId in await fixture.GetInstanceIdsAsync(BlogResources.UserService))
        {
            // It runs right after the migrations, in the background: the service may be healthy a moment before.
            List<string> lines;
            while (!(lines = await ReadBacklogAsync(logs, instanceId, ct)).Any(line => line.Contains(RanLine, StringComparison.Ordinal) || line.Contains(FailedLine, StringComparison.Ordinal)))
            {
                await Task.Delay(250, ct);
            }

            Assert.DoesNotContain(lines, line => line.Contains(FailedLine, StringComparison.Ordinal));
        }

        await using var connection = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, ct);
        Assert.Equal(0L, await CountAsync(connection, """SELECT count(*) FROM "RevocationOutbox" WHERE "MarkerKey" = 'warm-up'""", ct));
        Assert.Equal(0L, await CountAsync(connection, """SELECT count(*) FROM "OpenIddictTokens" WHERE "Subject" = 'warm-up'""", ct));
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<List<string>> ReadBacklogAsync(ResourceLoggerService logs, string instanceId, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        await foreach (var batch in logs.GetAllAsync(instanceId).WithCancellation(cancellationToken))
        {
            lines.AddRange(batch.Select(line => line.Content));
        }

        return lines;
    }
}
