using Blog.ServiceDefaults.Database;
using Blog.ServiceDefaults.Redis;
using Blog.UserService.Authorization;
using Blog.UserService.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Microsoft.Extensions.Hosting;

internal static class UserServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddBlogNpgsqlDbContext<UsersDbContext>("usersdb", options => options.UseOpenIddict());
        builder.Services.AddDatabaseMigration<UsersDbContext>();
        builder.AddBlogRedisClient("redis");

        builder.AddBlogAuthorizationServer();
    }
}
