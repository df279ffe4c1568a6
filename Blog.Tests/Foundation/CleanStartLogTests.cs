using System.Globalization;
using System.Text.RegularExpressions;
using Blog.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.Tests.Foundation;

/// <summary>
/// A clean start (fresh data directory: cluster created, databases migrated and seeded) logs nothing at error level in
/// any resource, so a newcomer's dashboard shows no red badge: only what went wrong is an error.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed partial class CleanStartLogTests(BlogAppFixture fixture)
{
    /// <summary>
    /// PostgreSQL's answer to a connection attempt in its first instants (the probe avoids it by reading postmaster.pid,
    /// but a start under heavy load can still race it): a state, not a fault, and on stdout, so no red in the dashboard.
    /// </summary>
    private const string StartingUp = "FATAL:  the database system is starting up";

    [Fact]
    public async Task A_clean_start_logs_no_error()
    {
        var logs = fixture.App.Services.GetRequiredService<ResourceLoggerService>();
        var errors = new List<string>();
        foreach (var instanceId in (await fixture.GetInstanceSnapshotsAsync(null)).Keys)
        {
            var lines = await ReadBacklogAsync(logs, instanceId);
            for (var index = 0; index < lines.Count; index++)
            {
                var line = lines[index];
                var content = AnsiEscape().Replace(line.Content, "");
                // Lines logged after the start (by other tests' faults) are not the start's.
                if (TimestampOf(content) is { } at && at > fixture.ReadyAtUtc)
                {
                    continue;
                }

                if ((line.IsErrorMessage || ErrorLevel().IsMatch(content)) && !content.Contains(StartingUp, StringComparison.Ordinal))
                {
                    // The console logger writes the message on the line after the level and category.
                    var message = index + 1 < lines.Count ? AnsiEscape().Replace(lines[index + 1].Content, "") : "";
                    errors.Add($"{instanceId}: {content} / {message}");
                }
            }
        }

        Assert.True(errors.Count == 0, $"A clean start logged at error level:\n{string.Join('\n', errors.Take(20))}");
    }

    /// <summary>Everything the instance logged so far.</summary>
    private static async Task<List<LogLine>> ReadBacklogAsync(ResourceLoggerService logs, string instanceId)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var lines = new List<LogLine>();
        await foreach (var batch in logs.GetAllAsync(instanceId).WithCancellation(timeout.Token))
        {
            lines.AddRange(batch);
        }

        return lines;
    }

    private static DateTime? TimestampOf(string content)
        => content.Split(' ', 2)[0] is var first
           && DateTime.TryParse(first, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;

    /// <summary>
    /// The .NET console logger's prefix for Error and Critical, after the timestamp; PostgreSQL's own levels (its log
    /// goes to stdout, each line naming its level).
    /// </summary>
    [GeneratedRegex(@"^(\S+\s+)?(fail|crit):|\] (ERROR|FATAL|PANIC): ", RegexOptions.CultureInvariant)]
    private static partial Regex ErrorLevel();

    [GeneratedRegex(@"\x1B\[[0-9;]*m", RegexOptions.CultureInvariant)]
    private static partial Regex AnsiEscape();
}
