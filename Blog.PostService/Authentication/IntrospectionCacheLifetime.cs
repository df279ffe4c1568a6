namespace Blog.PostService.Authentication;

/// <summary>How long an introspection result may be reused.</summary>
public static class IntrospectionCacheLifetime
{
    /// <summary>
    /// min(configured maximum, token exp - now). <c>null</c> when nothing may be cached: the token has expired (or
    /// expires within the clock's resolution). A token without exp is bounded by the configured maximum alone.
    /// </summary>
    public static TimeSpan? Compute(DateTimeOffset now, DateTimeOffset? expiresAt, TimeSpan maximum)
    {
        var lifetime = expiresAt is { } exp ? exp - now : maximum;
        if (lifetime > maximum)
        {
            lifetime = maximum;
        }

        return lifetime > TimeSpan.Zero ? lifetime : null;
    }
}
