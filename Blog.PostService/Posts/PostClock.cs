namespace Blog.PostService.Posts;

/// <summary>The times a post records, at the precision PostgreSQL stores.</summary>
public static class PostClock
{
    /// <summary>
    /// Now, cut to whole microseconds: PostgreSQL's timestamptz keeps no finer, so the time a write answers with
    /// equals the one every later read returns.
    /// </summary>
    public static DateTimeOffset GetStoredUtcNow(this TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }
}
