namespace Blog.PostService.Posts;

/// <summary>A blog post. Its author is known only by id: the token's <c>sub</c> at the user service.</summary>
public sealed class Post
{
    public Guid Id { get; set; }

    public required string AuthorId { get; set; }

    public required string Title { get; set; }

    /// <summary>Markdown text, stored and returned verbatim.</summary>
    public required string Body { get; set; }

    public List<string> Tags { get; set; } = [];

    public PostStatus Status { get; set; } = PostStatus.Draft;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? PublishedAt { get; set; }

    /// <summary>PostgreSQL's xmin: a write with a stale value is a concurrency conflict (409).</summary>
    public uint Version { get; set; }
}

public enum PostStatus
{
    Draft,
    Published,
}
