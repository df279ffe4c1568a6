using StackExchange.Redis;

namespace Blog.Tests.Fixtures;

/// <summary>One Redis key and everything it holds: a whole string, hash fields and values, set, list or sorted set members.</summary>
public sealed record RedisEntry(int Database, string Key, IReadOnlyList<byte[]> Values);

/// <summary>Everything in a Redis server, for tests that must show something is not in it.</summary>
public static class RedisContents
{
    /// <summary>Every key of every database, with its values.</summary>
    public static async Task<IReadOnlyList<RedisEntry>> ReadAllAsync(string connectionString)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(connectionString);
        var server = connection.GetServers().Single();
        var entries = new List<RedisEntry>();
        for (var database = 0; database < server.DatabaseCount; database++)
        {
            var db = connection.GetDatabase(database);
            await foreach (var key in server.KeysAsync(database, pageSize: 500))
            {
                RedisValue[] contents = await db.KeyTypeAsync(key) switch
                {
                    RedisType.String => [await db.StringGetAsync(key)],
                    RedisType.Hash => [.. (await db.HashGetAllAsync(key)).SelectMany(entry => new[] { entry.Name, entry.Value })],
                    RedisType.Set => await db.SetMembersAsync(key),
                    RedisType.List => await db.ListRangeAsync(key),
                    RedisType.SortedSet => await db.SortedSetRangeByRankAsync(key),
                    _ => [],
                };
                entries.Add(new RedisEntry(database, key.ToString(), [.. contents.Where(value => value.HasValue).Select(value => (byte[])value!)]));
            }
        }

        return entries;
    }
}
