using Blog.ServiceDefaults.RateLimiting;
using Blog.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Blog.Tests.Reliability;

/// <summary>Per-client limits count in Redis across replicas, and in process when Redis is unreachable.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class SharedRateLimiterTests(BlogAppFixture fixture)
{
    private sealed class Limit : FixedWindowLimit
    {
        public Limit()
        {
            PermitLimit = 3;
            Window = TimeSpan.FromMinutes(1);
        }
    }

    [Fact]
    public async Task Two_replicas_share_one_count_in_redis()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        await using var redis = await fixture.ConnectRedisAsync(timeout.Token);
        var first = new SharedRateLimiter(redis, TimeProvider.System, NullLogger<SharedRateLimiter>.Instance);
        var second = new SharedRateLimiter(redis, TimeProvider.System, NullLogger<SharedRateLimiter>.Instance);
        var key = $"test:{Guid.NewGuid():N}";

        Assert.Null(await first.AcquireAsync(key, new Limit()));
        Assert.Null(await second.AcquireAsync(key, new Limit()));
        Assert.Null(await first.AcquireAsync(key, new Limit()));
        var refused = await second.AcquireAsync(key, new Limit());

        Assert.NotNull(refused);
        Assert.InRange(refused.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        Assert.True(await redis.GetDatabase().KeyTimeToLiveAsync(SharedRateLimiter.KeyPrefix + key) is { } ttl && ttl <= TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task With_redis_unreachable_the_limit_is_counted_in_process_quickly()
    {
        await using var deadRedis = await ConnectionMultiplexer.ConnectAsync(UnreachableRedis.ConnectionString);
        var limiter = new SharedRateLimiter(deadRedis, TimeProvider.System, NullLogger<SharedRateLimiter>.Instance);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        var answers = new List<TimeSpan?>();
        for (var request = 0; request < 4; request++)
        {
            answers.Add(await limiter.AcquireAsync("test:dead", new Limit()));
        }

        Assert.Equal([true, true, true, false], answers.Select(answer => answer is null));
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1), "a Redis outage must not slow requests down");
    }
}
