using Blog.PostService.Authentication;
using Blog.UnitTests.PostService;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Blog.UnitTests.Revocation;

/// <summary>
/// The revocation channel's liveness and the degraded mode's bound on staleness, on a clock the tests move: while the
/// channel is down (silent past the limit, or its connection broken), an entry is served only until the bound after
/// the later of its introspection and the last time the channel was heard, so a revocation the instance could not
/// hear is refused within the bound; once the channel is back, the in-process level restarts empty.
/// </summary>
public sealed class DegradedModeTests : IDisposable
{
    private static readonly TimeSpan SilenceLimit = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    // Starts at the real time: the in-process level's MemoryCache ends entries by the system clock.
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ConnectionMultiplexer _deadRedis = ConnectionMultiplexer.Connect(UnreachableRedis.ConnectionString);
    private readonly TokenCacheUnderTest _parts;

    public DegradedModeTests()
    {
        var settings = TokenCacheUnderTest.Settings();
        settings.RevocationSilenceLimit = SilenceLimit;
        settings.DegradedStalenessBound = Bound;
        _parts = new TokenCacheUnderTest(_deadRedis, settings, _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), _clock);
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    [Fact]
    public void While_the_channel_is_heard_an_entry_is_served_whatever_its_age()
    {
        var hash = Store("old", introspectedAgo: TimeSpan.FromMinutes(1));
        for (var second = 0; second < 30; second++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            _parts.Ledger.ChannelHeard();
            Assert.True(_parts.Cache.TryGetLocal(hash, out _), $"refused {second + 1} s in while the channel was heard");
        }
    }

    [Fact]
    public void A_silent_channel_is_down_past_the_limit_and_entries_are_served_until_the_bound_after_it_was_last_heard()
    {
        var lastHeard = Now;
        var old = Store("old", introspectedAgo: TimeSpan.FromMinutes(1));

        _clock.Advance(SilenceLimit);
        Assert.True(_parts.Channel.IsAlive(Now));
        _clock.Advance(Tick);
        Assert.False(_parts.Channel.IsAlive(Now));

        // Still within the bound of the last sign of life: served.
        Assert.True(_parts.Cache.TryGetLocal(old, out _));
        _clock.Set(lastHeard + Bound - Tick);
        Assert.True(_parts.Cache.TryGetLocal(old, out _));
        _clock.Set(lastHeard + Bound);
        Assert.False(_parts.Cache.TryGetLocal(old, out _), "served at the bound after the channel was last heard");
    }

    [Fact]
    public void While_down_an_entry_introspected_again_is_served_until_the_bound_after_that_introspection()
    {
        _clock.Advance(SilenceLimit + TimeSpan.FromSeconds(4));
        Assert.False(_parts.Channel.IsAlive(Now));
        var confirmed = Now;
        var hash = Store("again", introspectedAgo: TimeSpan.Zero);

        _clock.Set(confirmed + Bound - Tick);
        Assert.True(_parts.Cache.TryGetLocal(hash, out _));
        _clock.Set(confirmed + Bound);
        Assert.False(_parts.Cache.TryGetLocal(hash, out _));
    }

    [Fact]
    public void A_broken_connection_is_down_at_once_and_bounds_entries_alike()
    {
        var hash = Store("old", introspectedAgo: TimeSpan.FromMinutes(1));
        _clock.Advance(TimeSpan.FromSeconds(1));
        var lastHeard = Now;
        _parts.Ledger.ChannelHeard();

        _parts.Ledger.ChannelBroken();

        Assert.False(_parts.Channel.IsAlive(Now));
        Assert.True(_parts.Cache.TryGetLocal(hash, out _));
        _clock.Set(lastHeard + Bound);
        Assert.False(_parts.Cache.TryGetLocal(hash, out _));
    }

    [Fact]
    public void A_revocation_the_instance_cannot_hear_is_refused_within_the_bound_after_it_wherever_it_falls_in_the_silence()
    {
        // The revocation happens at any moment after the last sign of life: before the silence limit has passed (the
        // channel still counts as alive) or after. The entry it concerns is refused by revocation + bound at the latest.
        var lastHeard = Now;
        var hash = Store("revoked", introspectedAgo: TimeSpan.FromSeconds(30));
        foreach (var revokedAfter in new[] { Tick, TimeSpan.FromSeconds(1), SilenceLimit, SilenceLimit + TimeSpan.FromSeconds(1) })
        {
            _clock.Set(lastHeard + revokedAfter + Bound);
            Assert.False(_parts.Cache.TryGetLocal(hash, out _), $"a revocation {revokedAfter} after the channel was last heard was not refused within the bound");
        }
    }

    [Fact]
    public void When_the_channel_comes_back_the_in_process_level_restarts_empty_and_serves_again()
    {
        var before = Store("before", introspectedAgo: TimeSpan.FromMinutes(1));
        _clock.Advance(SilenceLimit + Tick);
        var during = Store("during", introspectedAgo: TimeSpan.Zero);
        Assert.True(_parts.Cache.TryGetLocal(during, out _));

        Assert.True(_parts.Ledger.ChannelHeard(), "the channel's return was not reported");

        // Events may have been missed while it was down: neither entry is trusted any more.
        Assert.False(_parts.Cache.TryGetLocal(before, out _));
        Assert.False(_parts.Cache.TryGetLocal(during, out _));
        var after = Store("after", introspectedAgo: TimeSpan.FromMinutes(1));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(_parts.Ledger.ChannelHeard());
        Assert.True(_parts.Cache.TryGetLocal(after, out _));
    }

    [Fact]
    public void A_read_from_the_shared_level_follows_the_same_bound()
    {
        var entry = CacheEntries.Entry("alice", TimeSpan.FromMinutes(1), Now - TimeSpan.FromMinutes(1));
        var hash = TokenHash.Compute("shared");
        Assert.True(_parts.Ledger.IsServable(hash, entry));
        _clock.Advance(Bound);
        _parts.Ledger.ChannelBroken();
        Assert.False(_parts.Ledger.IsServable(hash, entry));
    }

    [Theory]
    [InlineData(1, 3, 5, true)]
    [InlineData(1, 3, 3, true)]
    [InlineData(1, 3, 2, false)] // a revocation just after the last sign of life would go unnoticed past the bound
    [InlineData(3, 3, 5, false)] // one missed probe would make the channel down
    [InlineData(0, 3, 5, false)]
    public void The_bound_must_cover_the_silence_limit_and_the_limit_exceed_the_probe_interval(int probeSeconds, int silenceSeconds, int boundSeconds, bool valid)
    {
        var settings = TokenCacheUnderTest.Settings();
        settings.RevocationProbeInterval = TimeSpan.FromSeconds(probeSeconds);
        settings.RevocationSilenceLimit = TimeSpan.FromSeconds(silenceSeconds);
        settings.DegradedStalenessBound = TimeSpan.FromSeconds(boundSeconds);

        var result = new TokenValidationOptionsValidator().Validate(null, settings);

        Assert.Equal(valid, result.Succeeded);
    }

    private TokenHash Store(string token, TimeSpan introspectedAgo)
    {
        var hash = TokenHash.Compute(token);
        _parts.Cache.StoreLocal(hash, CacheEntries.Entry("alice", introspectedAgo + TimeSpan.FromSeconds(1), Now - introspectedAgo));
        return hash;
    }

    public void Dispose()
    {
        _parts.Dispose();
        _deadRedis.Dispose();
        _services.Dispose();
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;

        public void Set(DateTimeOffset to) => _now = to;
    }
}
