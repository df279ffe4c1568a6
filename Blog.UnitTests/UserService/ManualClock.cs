namespace Blog.UnitTests.UserService;

/// <summary>A clock the user service's memory tests move by hand (the secret checks and client rows remembered).</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
