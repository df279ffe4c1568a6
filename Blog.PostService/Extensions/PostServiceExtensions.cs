using Blog.PostService.Infrastructure;
using Blog.PostService.Users;
using Blog.ServiceDefaults.Database;

namespace Microsoft.Extensions.Hosting;

internal static class PostServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // The post service has its own database and never a connection to the user service's.
        builder.AddNpgsqlDbContext<PostsDbContext>("postsdb");
        builder.Services.AddDatabaseMigration<PostsDbContext>();
        builder.AddRedisClient("redis");

        builder.AddUserServiceClient();

        builder.Services.AddOpenApi();
    }
}
