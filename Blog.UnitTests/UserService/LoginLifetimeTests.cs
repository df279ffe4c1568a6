using System.Security.Cryptography;
using Blog.UserService.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Blog.UnitTests.UserService;

/// <summary>
/// The absolute lifetime of a login (RFC 9700 section 4.14.2): the rule the refresh grant applies, and the setting
/// bound and validated at start-up by the user service's own registration.
/// </summary>
public sealed class LoginLifetimeTests
{
    private static readonly DateTimeOffset LoggedInAt = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly AuthorizationServerOptions Settings = new()
    {
        RefreshTokenLifetime = TimeSpan.FromDays(14),
        LoginLifetime = TimeSpan.FromDays(30),
    };

    [Fact]
    public void A_login_may_be_refreshed_until_its_lifetime_and_not_from_then_on()
    {
        Assert.False(LoginLifetime.HasEnded(LoggedInAt, LoggedInAt, Settings));
        Assert.False(LoginLifetime.HasEnded(LoggedInAt, LoggedInAt + TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1), Settings));
        Assert.True(LoginLifetime.HasEnded(LoggedInAt, LoggedInAt + TimeSpan.FromDays(30), Settings));
        Assert.True(LoginLifetime.HasEnded(LoggedInAt, LoggedInAt + TimeSpan.FromDays(45), Settings));
    }

    [Fact]
    public void Refreshing_often_does_not_stretch_a_login_past_its_lifetime()
    {
        // Refreshed every 13 days: each refresh token lives 14 days, the last one only until the login's end.
        Assert.Equal(TimeSpan.FromDays(14), LoginLifetime.RefreshTokenLifetime(LoggedInAt, LoggedInAt, Settings));
        Assert.Equal(TimeSpan.FromDays(14), LoginLifetime.RefreshTokenLifetime(LoggedInAt, LoggedInAt + TimeSpan.FromDays(13), Settings));
        Assert.Equal(TimeSpan.FromDays(4), LoginLifetime.RefreshTokenLifetime(LoggedInAt, LoggedInAt + TimeSpan.FromDays(26), Settings));
    }

    [Fact]
    public void A_login_lifetime_shorter_than_the_refresh_token_lifetime_cuts_the_first_refresh_token_short()
    {
        var shortLogins = new AuthorizationServerOptions { RefreshTokenLifetime = TimeSpan.FromDays(14), LoginLifetime = TimeSpan.FromHours(8) };

        Assert.Equal(TimeSpan.FromHours(8), LoginLifetime.RefreshTokenLifetime(LoggedInAt, LoggedInAt, shortLogins));
        Assert.True(LoginLifetime.HasEnded(LoggedInAt, LoggedInAt + TimeSpan.FromHours(8), shortLogins));
    }

    [Fact]
    public void The_default_is_30_days()
    {
        using var host = BuildUserServiceOptions([]);

        Assert.Equal(TimeSpan.FromDays(30), host.Services.GetRequiredService<IOptions<AuthorizationServerOptions>>().Value.LoginLifetime);
    }

    [Theory]
    [InlineData("00:04:59")]
    [InlineData("365.00:00:01")]
    [InlineData("-1.00:00:00")]
    public void A_login_lifetime_out_of_bounds_fails_validation_naming_the_setting(string value)
    {
        using var host = BuildUserServiceOptions(new() { ["AuthorizationServer:LoginLifetime"] = value });

        var failure = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<AuthorizationServerOptions>>().Value);

        Assert.Contains("LoginLifetime", failure.Message);
    }

    [Theory]
    [InlineData("00:05:00")]
    [InlineData("365.00:00:00")]
    public void A_login_lifetime_within_bounds_is_accepted(string value)
    {
        using var host = BuildUserServiceOptions(new() { ["AuthorizationServer:LoginLifetime"] = value });

        Assert.Equal(TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
            host.Services.GetRequiredService<IOptions<AuthorizationServerOptions>>().Value.LoginLifetime);
    }

    /// <summary>The user service's own registration (AddBlogAuthorizationServer) over valid settings plus <paramref name="overrides"/>; nothing connects.</summary>
    private static IHost BuildUserServiceOptions(Dictionary<string, string?> overrides)
    {
        using var rsa = RSA.Create(2048);
        var settings = new Dictionary<string, string?>
        {
            ["AuthorizationServer:Issuer"] = "http://userservice/",
            ["AuthorizationServer:SigningKey"] = Convert.ToBase64String(rsa.ExportPkcs8PrivateKey()),
            ["AuthorizationServer:EncryptionKey"] = new string('e', 32),
            ["AuthorizationServer:PostServiceClientSecret"] = new string('s', 16),
            ["AuthorizationServer:PostServiceDirectorySecret"] = new string('d', 16),
            ["AuthorizationServer:Admin:UserName"] = "admin",
            ["AuthorizationServer:Admin:Password"] = "not-used-here",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddBlogAuthorizationServer();
        return builder.Build();
    }
}
