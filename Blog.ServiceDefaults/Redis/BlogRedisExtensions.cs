using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Blog.ServiceDefaults.Redis;

/// <summary>Redis for a Blog service: Aspire's StackExchange.Redis client, with its I/O on the .NET thread pool.</summary>
public static class BlogRedisExtensions
{
    /// <summary>
    /// StackExchange.Redis otherwise completes every command on its own dedicated threads, which spin while they wait
    /// for work and hand each completion over to the thread pool. On a two-core machine with a Redis read per request
    /// (the post service's Redis hit) that spinning and the hand-over were about 15% of the post service's CPU in a profile;
    /// with the thread pool the same load ran at 9,141 req/s instead of 5,809-6,862 (docs/benchmarks.md, notes of
    /// 2026-12-06).
    /// </summary>
    public static void AddBlogRedisClient(this IHostApplicationBuilder builder, string connectionName)
        => builder.AddRedisClient(connectionName, configureOptions: options => options.SocketManager = SocketManager.ThreadPool);
}
