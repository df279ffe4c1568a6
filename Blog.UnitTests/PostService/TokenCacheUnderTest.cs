using System.Diagnostics.Metrics;
using Blog.PostService.Authentication;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.UnitTests.PostService;

/// <summary>The post service's token cache put together as its DI registration does, over the given Redis.</summary>
internal sealed class TokenCacheUnderTest : IDisposable
{
    public TokenCacheUnderTest(IConnectionMultiplexer redis, TokenValidationOptions settings, IMeterFactory meterFactory, TimeProvider? clock = null)
    {
        var time = clock ?? TimeProvider.System;
        var options = Options.Create(settings);
        var telemetry = new IntrospectionTelemetry(meterFactory);
        var fallback = new RedisFallbackReporter(telemetry, NullLogger<IntrospectionCache>.Instance);
        var store = new RedisTokenStore(redis, options, new CacheEntrySeal(options), telemetry, fallback, time, NullLogger<RedisTokenStore>.Instance);
        Memory = new TokenMemoryLevel(options);
        Channel = new RevocationChannel(options, time, meterFactory);
        Ledger = new RevocationLedger(Memory, store, Channel, options, time);
        Cache = new IntrospectionCache(Memory, store, Ledger, options, telemetry, time);
        // As once the subscriber has subscribed: the channel alive.
        Ledger.ChannelRestored();
    }

    /// <summary>An invented key, the same in every test so that one cache reads what another wrote.</summary>
    public const string TestCacheEntryKey = "invented-cache-entry-key-for-tests-0123456789";

    /// <summary>Options as the tests use them unless they say otherwise.</summary>
    public static TokenValidationOptions Settings(string? cacheKeyPrefix = null, TimeSpan? negativeCacheLifetime = null)
    {
        var settings = new TokenValidationOptions { Issuer = new Uri("http://userservice/"), ClientSecret = "x", CacheEntryKey = TestCacheEntryKey };
        settings.CacheKeyPrefix = cacheKeyPrefix ?? settings.CacheKeyPrefix;
        settings.NegativeCacheLifetime = negativeCacheLifetime ?? settings.NegativeCacheLifetime;
        return settings;
    }

    public IntrospectionCache Cache { get; }

    public RevocationLedger Ledger { get; }

    /// <summary>The revocation channel's state, as the subscriber would set it (the tests say when it is heard).</summary>
    public RevocationChannel Channel { get; }

    private TokenMemoryLevel Memory { get; }

    public void Dispose() => Memory.Dispose();
}
