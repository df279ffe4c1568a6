namespace Blog.PostService.Authentication;

/// <summary>How long an introspection result may be reused.</summary>
public static class IntrospectionCacheLifetime
{
    /// <summary>
    /// min(configured maximum, token exp - now). <c>null</c> when nothing may be cached: the token has expired (or
    /// expires within the clock's resolution), or has no exp (an entry without one is refused when read back).
    /// </summary>
    public static TimeSpan? Compute(DateTimeOffset now, DateTimeOffset? expiresAt, TimeSpan maximum)
    {
        if (expiresAt is not { } exp)
        {
            return null;
        }

        var lifetime = exp - now;
        if (lifetime > maximum)
        {
            lifetime = maximum;
        }

        return lifetime > TimeSpan.Zero ? lifetime : null;
    }
}
