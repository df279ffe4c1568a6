using Blog.PostService.Posts;
using Microsoft.EntityFrameworkCore;

namespace Blog.PostService.Infrastructure;

public sealed class PostsDbContext(DbContextOptions<PostsDbContext> options) : DbContext(options)
{
    public DbSet<Post> Posts => Set<Post>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.ApplyConfigurationsFromAssembly(typeof(PostsDbContext).Assembly);
}
