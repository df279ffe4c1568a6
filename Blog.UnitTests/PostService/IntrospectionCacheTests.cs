using System.Diagnostics;
using System.Security.Claims;
using Blog.PostService.Authentication;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using StackExchange.Redis;

namespace Blog.UnitTests.PostService;

/// <summary>The two cache levels and the fallback when Redis is down (a multiplexer to a port nobody listens on).</summary>
public sealed class IntrospectionCacheTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly TelemetryRecorder _recorder;
    private readonly ConnectionMultiplexer _deadRedis = ConnectionMultiplexer.Connect(UnreachableRedis.ConnectionString);
    private readonly TokenCacheUnderTest _parts;
    private readonly IntrospectionCache _cache;

    public IntrospectionCacheTests()
    {
        var meterFactory = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        _recorder = new TelemetryRecorder(meterFactory, IntrospectionTelemetry.MeterName);
        _parts = new TokenCacheUnderTest(_deadRedis, TokenCacheUnderTest.Settings(), meterFactory);
        _cache = _parts.Cache;
    }

    [Fact]
    public async Task With_redis_down_a_lookup_is_a_fast_miss_counted_as_a_fallback()
    {
        var started = Stopwatch.GetTimestamp();

        var entry = await _cache.GetDistributedAsync(TokenHash.Compute("some-token"), CancellationToken.None);

        Assert.Null(entry);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1), "a Redis outage must not slow requests down");
        Assert.Equal(1, _recorder.Sum(IntrospectionTelemetry.FallbacksMetric));
        Assert.Equal(1, _recorder.Sum(IntrospectionTelemetry.MissesMetric));
    }

    [Fact]
    public void With_redis_down_a_store_does_not_throw_and_the_memory_level_still_serves()
    {
        var hash = TokenHash.Compute("valid-token");
        var entry = NewEntry(expiresIn: TimeSpan.FromMinutes(30), cachedFor: TimeSpan.FromMinutes(5));

        _cache.Store(hash, entry);

        Assert.True(_cache.TryGetLocal(hash, out var found));
        Assert.Same(entry, found);
        Assert.Equal(1, _recorder.Sum(IntrospectionTelemetry.HitsMetric, "level", "memory"));
        Assert.True(_recorder.Sum(IntrospectionTelemetry.FallbacksMetric) >= 1);
    }

    [Fact]
    public void An_entry_past_the_tokens_exp_is_never_served()
    {
        var hash = TokenHash.Compute("expired-token");
        // Stored directly in the memory level with an end after exp, as a stale Redis copy could be.
        _cache.StoreLocal(hash, NewEntry(expiresIn: TimeSpan.FromSeconds(-1), cachedFor: TimeSpan.FromMinutes(5)));

        Assert.False(_cache.TryGetLocal(hash, out _));
    }

    [Fact]
    public void Invalid_tokens_are_remembered_in_process_only()
    {
        var hash = TokenHash.Compute("junk");
        Assert.False(_cache.IsKnownInvalid(hash));

        _cache.RememberInvalid(hash);

        Assert.True(_cache.IsKnownInvalid(hash));
        Assert.False(_cache.TryGetLocal(hash, out _));
        Assert.Equal(1, _recorder.Sum(IntrospectionTelemetry.HitsMetric, "level", "negative"));
    }

    [Fact]
    public async Task An_invalid_token_is_forgotten_after_the_negative_cache_lifetime()
    {
        var lifetime = TimeSpan.FromMilliseconds(300);
        using var parts = new TokenCacheUnderTest(
            _deadRedis, TokenCacheUnderTest.Settings(negativeCacheLifetime: lifetime), _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var cache = parts.Cache;
        var hash = TokenHash.Compute("junk-that-may-become-valid");

        cache.RememberInvalid(hash);
        Assert.True(cache.IsKnownInvalid(hash));
        await Task.Delay(lifetime + TimeSpan.FromMilliseconds(200));

        Assert.False(cache.IsKnownInvalid(hash), $"still remembered as invalid {lifetime.TotalMilliseconds + 200} ms after a {lifetime.TotalMilliseconds} ms lifetime");
    }

    [Fact]
    public void A_cached_principal_rebuilds_identically_through_serialization()
    {
        var identity = new ClaimsIdentity("AuthenticationTypes.Federation", "name", "role");
        identity.AddClaim(new Claim("sub", "user-1", ClaimValueTypes.String, "http://userservice/"));
        identity.AddClaim(new Claim("name", "Ada", ClaimValueTypes.String, "http://userservice/"));
        identity.AddClaim(new Claim("role", "author", ClaimValueTypes.String, "http://userservice/"));
        identity.AddClaim(new Claim(OpenIddictConstants.Claims.Private.Scope, "posts", ClaimValueTypes.String, "LOCAL AUTHORITY"));
        identity.AddClaim(new Claim(OpenIddictConstants.Claims.Private.Audience, "post-service", ClaimValueTypes.String, "LOCAL AUTHORITY"));
        var expiresAt = DateTimeOffset.UtcNow.AddMinutes(30);
        var entry = CachedIntrospection.FromPrincipal(new ClaimsPrincipal(identity), expiresAt, DateTimeOffset.UtcNow.AddMinutes(5), DateTimeOffset.UtcNow);

        var principal = CachedIntrospection.Deserialize(entry.Serialize())!.ToPrincipal();

        Assert.Equal("Ada", principal.Identity!.Name);
        Assert.True(principal.Identity.IsAuthenticated);
        Assert.True(principal.IsInRole("author"));
        Assert.False(principal.IsInRole("admin"));
        Assert.True(principal.HasScope("posts"));
        Assert.Contains("post-service", principal.GetAudiences());
        Assert.Equal(
            identity.Claims.Select(claim => (claim.Type, claim.Value, claim.ValueType, claim.Issuer)),
            principal.Claims.Select(claim => (claim.Type, claim.Value, claim.ValueType, claim.Issuer)));
    }

    private static CachedIntrospection NewEntry(TimeSpan expiresIn, TimeSpan cachedFor)
        => new("AuthenticationTypes.Federation", "name", "role", [new CachedClaim("sub", "user-1", ClaimValueTypes.String, "issuer", "issuer")],
            DateTimeOffset.UtcNow + expiresIn, DateTimeOffset.UtcNow + cachedFor);

    public void Dispose()
    {
        _parts.Dispose();
        _deadRedis.Dispose();
        _recorder.Dispose();
        _services.Dispose();
    }
}
