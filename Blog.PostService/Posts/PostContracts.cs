namespace Blog.PostService.Posts;

public sealed record CreatePostRequest(string? Title, string? Body, IReadOnlyList<string>? Tags);

/// <summary><c>Version</c> is the one the client last read (or send it as If-Match); a stale one is a 409.</summary>
public sealed record UpdatePostRequest(string? Title, string? Body, IReadOnlyList<string>? Tags, uint? Version);

/// <summary>A post as the API returns it. <c>AuthorName</c> is missing while the user service cannot tell it.</summary>
public sealed record PostResponse(
    Guid Id,
    string AuthorId,
    string? AuthorName,
    string Title,
    string Body,
    IReadOnlyList<string> Tags,
    PostStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? PublishedAt,
    uint Version)
{
    public static PostResponse From(Post post, IReadOnlyDictionary<string, string> authorNames) => new(
        post.Id,
        post.AuthorId,
        authorNames.GetValueOrDefault(post.AuthorId),
        post.Title,
        post.Body,
        post.Tags,
        post.Status,
        post.CreatedAt,
        post.UpdatedAt,
        post.PublishedAt,
        post.Version);
}

public sealed record PostPage(IReadOnlyList<PostResponse> Items, int Page, int PageSize, bool HasMore);

/// <summary>Query of the public list: page (from 1), page size (at most <see cref="PostRules.MaxPageSize"/>), author id, tag.</summary>
public sealed record PostListQuery(int? Page, int? PageSize, string? Author, string? Tag);
