namespace Blog.PostService.Diagnostics;

/// <summary>Diagnostics a benchmark switches on; every one is off unless set.</summary>
public sealed class DatabaseLimitOptions
{
    public const string SectionName = "Diagnostics";

    /// <summary>
    /// Maps <c>GET /api/ping/posts/{id}</c>: a published post read with one bare Npgsql command (no EF Core, no author
    /// name), the database's limit the real read is measured against. Off by default: it is a second way to read posts
    /// that no client needs.
    /// </summary>
    public bool DatabaseLimitEndpoint { get; set; }
}
