using Blog.ServiceDefaults.Database;
using Blog.ServiceDefaults.Revocation;
using Blog.UserService.Authorization;
using Blog.UserService.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.Tests.Revocation;

/// <summary>
/// The user service's revocation publisher and outbox delivery, built by a test against the application's own usersdb
/// and a Redis connection of the test's choosing (another user service instance, as far as the outbox can tell).
/// </summary>
internal static class RevocationParts
{
    public static ServiceProvider NewInstance(string usersDb, IConnectionMultiplexer redis, params IInterceptor[] interceptors)
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddDbContext<UsersDbContext>(options => options.UseNpgsql(usersDb).UseOpenIddict().AddInterceptors(interceptors))
            .AddSingleton(redis)
            .AddSingleton(Options.Create(new AuthorizationServerOptions()))
            .AddSingleton(TimeProvider.System)
            .AddSingleton<RevocationTelemetry>()
            .AddSingleton<RevocationPublisher>()
            .AddSingleton<DatabaseMigrationStatus<UsersDbContext>>()
            .AddSingleton<RevocationOutboxDelivery>();
        return services.BuildServiceProvider();
    }
}
