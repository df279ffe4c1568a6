namespace Blog.PostService.Diagnostics;

/// <summary>Diagnostics a benchmark switches on; every one is off unless set.</summary>
public sealed class DiagnosticsOptions
{
    public const string SectionName = "Diagnostics";

    /// <summary>
    /// Maps <c>GET /api/ping/posts/{id}</c>: a published post read with one bare Npgsql command (no EF Core, no author
    /// name), the database's limit the real read is measured against. Off by default: it is a second way to read posts
    /// that no client needs.
    /// </summary>
    public bool DatabaseLimitEndpoint { get; set; }

    /// <summary>
    /// Maps <c>GET /api/ping/redis</c>: one plain Redis GET of the token cache's entry for the token in
    /// <see cref="RedisLimitApi.TokenHeader"/>, through the service's own Redis connection, and nothing else (no script,
    /// no seal, no revocation marker, no authentication): the floor a Redis hit is measured against. Off by default.
    /// </summary>
    public bool RedisLimitEndpoint { get; set; }
}
