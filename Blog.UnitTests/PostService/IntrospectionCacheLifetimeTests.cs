using Blog.PostService.Authentication;

namespace Blog.UnitTests.PostService;

public sealed class IntrospectionCacheLifetimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Maximum = TimeSpan.FromMinutes(5);

    [Fact]
    public void A_token_valid_for_long_is_cached_for_the_configured_maximum()
        => Assert.Equal(Maximum, IntrospectionCacheLifetime.Compute(Now, Now.AddHours(1), Maximum));

    [Fact]
    public void A_token_expiring_sooner_than_the_maximum_is_cached_until_its_exp()
        => Assert.Equal(TimeSpan.FromSeconds(90), IntrospectionCacheLifetime.Compute(Now, Now.AddSeconds(90), Maximum));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-3600)]
    public void An_expired_token_is_not_cached(int secondsToExp)
        => Assert.Null(IntrospectionCacheLifetime.Compute(Now, Now.AddSeconds(secondsToExp), Maximum));

    [Fact]
    public void A_token_without_exp_is_not_cached()
        => Assert.Null(IntrospectionCacheLifetime.Compute(Now, null, Maximum));

    [Fact]
    public void A_smaller_configured_maximum_wins()
        => Assert.Equal(TimeSpan.FromSeconds(30), IntrospectionCacheLifetime.Compute(Now, Now.AddHours(1), TimeSpan.FromSeconds(30)));

    [Fact]
    public void An_entry_is_never_usable_at_or_past_the_tokens_exp_even_before_its_own_end()
    {
        var entry = new CachedIntrospection("Federation", "name", "role", [], ExpiresAt: Now.AddSeconds(10), CachedUntil: Now.AddMinutes(5));

        Assert.True(entry.IsUsableAt(Now.AddSeconds(9)));
        Assert.False(entry.IsUsableAt(Now.AddSeconds(10)));
        Assert.False(entry.IsUsableAt(Now.AddMinutes(1)));
    }

    [Fact]
    public void An_entry_is_not_usable_past_its_own_end()
    {
        var entry = new CachedIntrospection("Federation", "name", "role", [], ExpiresAt: Now.AddHours(1), CachedUntil: Now.AddMinutes(5));

        Assert.True(entry.IsUsableAt(Now.AddMinutes(4)));
        Assert.False(entry.IsUsableAt(Now.AddMinutes(5)));
    }
}
