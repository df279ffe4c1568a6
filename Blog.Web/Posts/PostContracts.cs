namespace Blog.Web.Posts;

// The post service's answers, as this app reads them (its JSON, camelCase).

public sealed record PostView(
    Guid Id,
    string AuthorId,
    string? AuthorName,
    string Title,
    string Body,
    IReadOnlyList<string> Tags,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? PublishedAt,
    uint Version)
{
    public bool IsDraft => Status.Equals("Draft", StringComparison.OrdinalIgnoreCase);
}

public sealed record PostPageView(IReadOnlyList<PostView> Items, int Page, int PageSize, bool HasMore);

/// <summary>What a write may answer besides success: per-field messages (400), not yours (403), gone (404), changed meanwhile (409).</summary>
public sealed record WriteOutcome<T>(T? Value, int Status, IReadOnlyDictionary<string, string[]> Errors, string? Detail)
{
    public bool Succeeded => Value is not null || Status is StatusCodes.Status204NoContent;
}
