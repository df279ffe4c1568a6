namespace Blog.UserService.Infrastructure;

/// <summary>
/// A revocation on its way to the resource servers' caches (table <c>RevocationOutbox</c>): written before the
/// publication is tried, deleted once Redis has taken it, so a revocation that Redis could not take is delivered
/// later instead of being lost. Names a token by its hash only (in <see cref="MarkerKey"/> and <see cref="Event"/>).
/// </summary>
public sealed class RevocationOutboxMessage
{
    public const int MarkerKeyMaxLength = 512;

    public long Id { get; set; }

    /// <summary>The Redis marker the publication sets (see RevocationContract).</summary>
    public required string MarkerKey { get; set; }

    /// <summary>The serialized RevocationEvent (its NotBeforeUnixMs is <see cref="RevokedAt"/>).</summary>
    public required string Event { get; set; }

    public DateTimeOffset RevokedAt { get; set; }

    /// <summary>Failed deliveries so far: the delay before the next one grows with it.</summary>
    public int Attempts { get; set; }

    /// <summary>When the background delivery may take the row.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }
}
