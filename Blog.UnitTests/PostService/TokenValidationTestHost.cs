using Blog.PostService.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Blog.UnitTests.PostService;

/// <summary>The post service's token validation registered in a bare host, without the AppHost.</summary>
internal static class TokenValidationTestHost
{
    public static readonly Dictionary<string, string?> ValidSettings = new()
    {
        ["Authentication:Issuer"] = "http://userservice/",
        ["Authentication:ClientSecret"] = "test-secret-not-used-for-anything",
        ["Authentication:DirectoryClientSecret"] = "another-test-secret-not-used-for-anything",
        ["Authentication:CacheEntryKey"] = TokenCacheUnderTest.TestCacheEntryKey,
    };

    public static IHost Build(IDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging();
        configureServices?.Invoke(builder.Services);
        builder.AddTokenValidation();
        return builder.Build();
    }
}
