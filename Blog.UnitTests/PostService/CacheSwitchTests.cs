using Blog.PostService.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Blog.UnitTests.PostService;

/// <summary>
/// The two switches the benchmark's variants run with (docs/benchmarks.md): on unless configured off, and bound
/// from the same settings names the benchmark passes ("Authentication:CacheEnabled", "Authentication:MemoryCacheEnabled").
/// </summary>
public sealed class CacheSwitchTests
{
    [Fact]
    public void Both_cache_levels_are_on_by_default()
    {
        using var host = TokenValidationTestHost.Build(TokenValidationTestHost.ValidSettings);
        var options = host.Services.GetRequiredService<IOptions<TokenValidationOptions>>().Value;

        Assert.True(options.CacheEnabled);
        Assert.True(options.MemoryCacheEnabled);
    }

    [Theory]
    [InlineData("Authentication:CacheEnabled", false, true)]
    [InlineData("Authentication:MemoryCacheEnabled", true, false)]
    public void Each_switch_is_bound_from_its_setting(string setting, bool expectedCacheEnabled, bool expectedMemoryCacheEnabled)
    {
        var settings = new Dictionary<string, string?>(TokenValidationTestHost.ValidSettings) { [setting] = "false" };
        using var host = TokenValidationTestHost.Build(settings);
        var options = host.Services.GetRequiredService<IOptions<TokenValidationOptions>>().Value;

        Assert.Equal(expectedCacheEnabled, options.CacheEnabled);
        Assert.Equal(expectedMemoryCacheEnabled, options.MemoryCacheEnabled);
    }
}
