using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Blog.PostService.Infrastructure;

/// <summary>For 'dotnet ef migrations' only: the running service gets its connection from Aspire.</summary>
internal sealed class PostsDbContextDesignTimeFactory : IDesignTimeDbContextFactory<PostsDbContext>
{
    public PostsDbContext CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<PostsDbContext>().UseNpgsql("Host=localhost;Database=postsdb").Options);
}
