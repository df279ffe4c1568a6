using System.Net;
using Blog.ServiceDefaults.RateLimiting;

namespace Blog.UnitTests.UserService;

/// <summary>The partition a client's requests are counted in, and which proxies may be trusted.</summary>
public sealed class ClientAddressesTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    public void IPv4_is_partitioned_by_address_and_IPv6_by_its_64_prefix(string address, string partition)
        => Assert.Equal(partition, ClientAddresses.PartitionOf(IPAddress.Parse(address)));

    [Fact]
    public void Nobody_is_trusted_by_default_and_trusting_everyone_is_refused()
    {
        var validator = new ForwardedHeadersSettingsValidator();
        var defaults = new ForwardedHeadersSettings();

        Assert.Empty(defaults.KnownProxies);
        Assert.Empty(defaults.KnownNetworks);
        Assert.True(validator.Validate(null, defaults).Succeeded);
        Assert.True(validator.Validate(null, new ForwardedHeadersSettings { KnownNetworks = ["10.0.0.0/8"], KnownProxies = ["::1"] }).Succeeded);
        Assert.True(validator.Validate(null, new ForwardedHeadersSettings { KnownNetworks = ["0.0.0.0/0"] }).Failed);
        Assert.True(validator.Validate(null, new ForwardedHeadersSettings { KnownNetworks = ["::/0"] }).Failed);
        Assert.True(validator.Validate(null, new ForwardedHeadersSettings { KnownProxies = ["proxy.example"] }).Failed);
    }
}
