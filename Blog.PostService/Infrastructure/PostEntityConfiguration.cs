using Blog.PostService.Posts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Blog.PostService.Infrastructure;

internal sealed class PostEntityConfiguration : IEntityTypeConfiguration<Post>
{
    public void Configure(EntityTypeBuilder<Post> post)
    {
        post.ToTable("posts");
        post.HasKey(p => p.Id);
        // The database holds the same limits the API validates, so no other writer can store more.
        post.Property(p => p.AuthorId).HasMaxLength(PostRules.MaxAuthorIdLength);
        post.Property(p => p.Title).HasMaxLength(PostRules.MaxTitleLength);
        post.Property(p => p.Body).HasMaxLength(PostRules.MaxBodyLength);
        post.PrimitiveCollection(p => p.Tags).ElementType(tag => tag.HasMaxLength(PostRules.MaxTagLength));
        post.Property(p => p.Status).HasConversion<string>().HasMaxLength(16);
        post.Property(p => p.Version).IsRowVersion();

        // The public list (published, newest first) and "my posts" are the hot queries.
        post.HasIndex(p => new { p.Status, p.PublishedAt, p.Id });
        post.HasIndex(p => new { p.AuthorId, p.CreatedAt });
        post.HasIndex(p => p.Tags).HasMethod("gin");
    }
}
