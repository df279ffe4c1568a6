using System.Text.Json;
using System.Text.Json.Serialization;
using Blog.PostService.Authentication;
using Blog.PostService.Diagnostics;
using Blog.PostService.Infrastructure;
using Blog.PostService.Posts;
using Blog.PostService.Users;
using Blog.ServiceDefaults.Database;
using Blog.ServiceDefaults.Redis;

namespace Microsoft.Extensions.Hosting;

internal static class PostServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // The post service has its own database and never a connection to the user service's.
        builder.AddBlogNpgsqlDbContext<PostsDbContext>("postsdb");
        builder.Services.AddDatabaseMigration<PostsDbContext>();
        builder.AddBlogRedisClient("redis");

        builder.Services.AddMemoryCache();
        builder.AddUserServiceClient();
        builder.AddTokenValidation();
        builder.Services.AddPostAuthorization();
        builder.Services.AddDiagnostics();

        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
    }
}
