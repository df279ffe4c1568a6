using Microsoft.EntityFrameworkCore;
using Blog.ServiceDefaults.Database;
using Blog.UserService.Infrastructure;

namespace Microsoft.Extensions.Hosting;

internal static class UserServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<UsersDbContext>("usersdb", configureDbContextOptions: options => options.UseOpenIddict());
        builder.Services.AddDatabaseMigration<UsersDbContext>();
        builder.AddRedisClient("redis");

        builder.Services.AddOpenApi();
    }
}
