using System.Globalization;
using System.Text;

namespace Blog.Benchmarks;

/// <summary>One load scenario: a request shape sent to one instance, compared with the baseline scenario of its group.</summary>
public sealed record Scenario(string Key, string Group, string Label, string Instance, HttpRequestShape Request, string? BaselineKey)
{
    /// <summary>Connections for this scenario when it must not use the run's (see <see cref="Scenarios.PasswordGrant"/>).</summary>
    public int? Connections { get; init; }
}

/// <summary>One wrk measurement of one scenario in one round, with the peak RSS the measured processes reached meanwhile.</summary>
public sealed record Measurement(Scenario Scenario, int Round, WrkResult Result, IReadOnlyDictionary<string, long?> PeakBytes, int Introspections = 0);

/// <summary>A scenario over all rounds: rate over the total measured time, mean median, worst p99, summed errors.</summary>
public sealed record ScenarioSummary(
    Scenario Scenario, IReadOnlyList<double> RoundRates, double RequestsPerSecond, double MedianMs, double P99Ms, long Requests, long Errors,
    double? Ratio, IReadOnlyDictionary<string, long?> PeakBytes, long Introspections = 0, double? AddedCpuMicroseconds = null)
{
    /// <summary>
    /// The CPU a request costs the whole machine at this rate: every core busy (the closed loop saturates them), so
    /// cores / (requests per second). What authentication adds is this minus the same for the baseline.
    /// </summary>
    public static double CpuMicrosecondsPerRequest(double requestsPerSecond) => requestsPerSecond > 0 ? Environment.ProcessorCount * 1e6 / requestsPerSecond : double.NaN;


    public static IReadOnlyList<ScenarioSummary> Summarize(IReadOnlyList<Measurement> measurements)
    {
        var byKey = measurements.GroupBy(measurement => measurement.Scenario.Key).ToDictionary(group => group.Key, group => group.ToList());
        double Rate(List<Measurement> rounds) => rounds.Sum(round => round.Result.Requests) / rounds.Sum(round => round.Result.DurationSeconds);

        return byKey.Values.Select(rounds =>
        {
            var scenario = rounds[0].Scenario;
            var rate = Rate(rounds);
            double? baselineRate = scenario.BaselineKey is { } baseline && byKey.TryGetValue(baseline, out var baselineRounds) ? Rate(baselineRounds) : null;
            double? ratio = baselineRate is { } bottom ? rate / bottom : null;
            double? addedCpu = baselineRate is { } baseRate ? CpuMicrosecondsPerRequest(rate) - CpuMicrosecondsPerRequest(baseRate) : null;
            var peaks = rounds.SelectMany(round => round.PeakBytes)
                .GroupBy(pair => pair.Key)
                .ToDictionary(group => group.Key, group => group.Max(pair => pair.Value));
            return new ScenarioSummary(
                scenario,
                rounds.Select(round => round.Result.RequestsPerSecond).ToList(),
                rate,
                rounds.Average(round => round.Result.MedianMicroseconds) / 1000,
                rounds.Max(round => round.Result.P99Microseconds) / 1000,
                rounds.Sum(round => round.Result.Requests),
                rounds.Sum(round => round.Result.Errors),
                ratio,
                peaks,
                rounds.Sum(round => (long)round.Introspections),
                addedCpu);
        }).ToList();
    }
}

/// <summary>A goal and whether this run met it.</summary>
public sealed record GoalCheck(string Goal, string Target, string Measured, bool Met);

public static class Report
{
    public const string StartMarker = "<!-- benchmark-results:start -->";
    public const string EndMarker = "<!-- benchmark-results:end -->";

    /// <summary>What a Redis hit may add per request with many tokens: the best-known peer's Redis path with one, coalesced token.</summary>
    public const double RedisHitAddedCpuGoalMicroseconds = 40;

    public static IReadOnlyList<GoalCheck> CheckGoals(IReadOnlyList<ScenarioSummary> summaries, IReadOnlyList<StampedeResult> stampedes, ColdStartResult? coldStart = null)
    {
        var rates = summaries.ToDictionary(summary => summary.Scenario.Key, summary => summary.RequestsPerSecond);
        var goals = new List<GoalCheck>();

        void Ratio(string goal, string numerator, string denominator, double target, string unit = "")
        {
            if (rates.TryGetValue(numerator, out var top) && rates.TryGetValue(denominator, out var bottom) && bottom > 0)
            {
                var value = top / bottom;
                goals.Add(new GoalCheck(goal, $">= {target.ToString(CultureInfo.InvariantCulture)}{unit}", Format(value, value >= 10 ? "F0" : "F3") + unit, value >= target));
            }
        }

        Ratio("minimal endpoint: in-process hit / no auth", Scenarios.PingMemory, Scenarios.PingAnonymous, 0.40);
        Ratio("minimal endpoint: Redis hit / no auth", Scenarios.PingRedis, Scenarios.PingAnonymous, 0.30);
        Ratio("real read: in-process hit (GET /api/posts/mine) / anonymous read (GET /api/posts/{id})", Scenarios.MineMemory, Scenarios.ReadAnonymous, 0.90);
        Ratio("real read, same endpoint: GET /api/posts/{id} with a token (in-process hit) / anonymous", Scenarios.ReadMemory, Scenarios.ReadAnonymous, 0.90);
        Ratio("minimal endpoint: cached (in-process hit) / uncached", Scenarios.PingMemory, Scenarios.PingUncached, 50, "x");
        Ratio("real read near the database's limit: anonymous GET /api/posts/{id} / bare Npgsql read", Scenarios.ReadAnonymous, Scenarios.ReadLimit, 0.70);
        Ratio("real read near the database's limit: GET /api/posts/{id} with a token (in-process hit) / bare Npgsql read", Scenarios.ReadMemory, Scenarios.ReadLimit, 0.70);
        Ratio("introspection at the user service: secret check remembered / checked in full every time", Scenarios.Introspection, Scenarios.IntrospectionFullCheck, 3, "x");
        Ratio("many tokens: in-process hit / no auth (the same generator)", Scenarios.ManyMemory, Scenarios.ManyAnonymous, 0.40);
        if (summaries.FirstOrDefault(summary => summary.Scenario.Key == Scenarios.ManyRedis) is { AddedCpuMicroseconds: { } redisAdded })
        {
            goals.Add(new GoalCheck("many tokens: CPU a Redis hit adds per request", $"<= {RedisHitAddedCpuGoalMicroseconds:F0} us",
                Format(redisAdded, "F1") + " us", redisAdded <= RedisHitAddedCpuGoalMicroseconds));
        }

        if (coldStart is not null)
        {
            goals.Add(new GoalCheck($"many tokens, cold start: introspections for {coldStart.Tokens:N0} new tokens (at most one each)",
                $"<= {coldStart.Tokens:N0}", coldStart.Introspections.ToString("N0", CultureInfo.InvariantCulture), coldStart.Introspections <= coldStart.Tokens));
        }

        foreach (var stampede in stampedes)
        {
            goals.Add(new GoalCheck($"stampede on {stampede.Instance}: introspections for {stampede.Requests} concurrent first requests",
                "1", stampede.Introspections.ToString(CultureInfo.InvariantCulture), stampede.Introspections == 1));
        }

        var errors = summaries.Sum(summary => summary.Errors) + stampedes.Sum(stampede => stampede.Errors) + (coldStart?.Errors ?? 0);
        goals.Add(new GoalCheck("errors in every scenario", "0", errors.ToString(CultureInfo.InvariantCulture), errors == 0));
        return goals;
    }

    public static string ToMarkdown(
        RunInfo run, IReadOnlyList<ScenarioSummary> summaries, IReadOnlyList<StampedeResult> stampedes, IReadOnlyList<GoalCheck> goals,
        IReadOnlyList<ServiceInstance> instances, IReadOnlyDictionary<string, long?> runPeaks, ColdStartResult? coldStart = null, SealCostResult? sealCost = null)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Run of {run.StartedAt:yyyy-MM-dd HH:mm} UTC, {run.Elapsed.TotalMinutes:F1} min.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {run.Machine}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1/5/15 min) before the application started: {run.LoadBefore}; after the run: {run.LoadAfter}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Command: `{run.Command}`");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Load generator: {run.Generator}; {run.Options.Rounds} interleaved rounds, {run.Options.WarmupSeconds} s warm-up + {run.Options.DurationSeconds} s measured per scenario and round, at most {run.Options.MaxRequests:N0} requests per measurement (as a time bound from the warm-up's rate)");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Runtime: .NET {Environment.Version}, services built in Release, launched by Aspire.Hosting.Testing in local mode (PostgreSQL and Redis as local processes)");
        text.AppendLine();

        text.AppendLine("| # | scenario | instance | req/s | per round | ratio | added CPU us/request | p50 ms | p99 ms | requests | errors | introspections | peak RSS MiB (instance / user service) |");
        text.AppendLine("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
        var number = 0;
        foreach (var summary in summaries)
        {
            number++;
            var scenario = summary.Scenario;
            var rounds = string.Join(" / ", summary.RoundRates.Select(rate => Format(rate, "N0")));
            var ratio = summary.Ratio is { } value ? Format(value, "F3") : "-";
            // The baseline itself shows what a request costs without authentication.
            var addedCpu = scenario.BaselineKey == scenario.Key ? $"({Format(ScenarioSummary.CpuMicrosecondsPerRequest(summary.RequestsPerSecond), "F1")} base)"
                : summary.AddedCpuMicroseconds is { } added ? Format(added, "F1") : "-";
            var instancePeak = Mebibytes(summary.PeakBytes.GetValueOrDefault(scenario.Instance));
            var userPeak = Mebibytes(summary.PeakBytes.GetValueOrDefault(BlogUnderTest.UserService));
            var peaks = scenario.Instance == BlogUnderTest.UserService ? userPeak : $"{instancePeak} / {userPeak}";
            var introspections = scenario.Instance == BlogUnderTest.UserService ? "-" : summary.Introspections.ToString("N0", CultureInfo.InvariantCulture);
            var label = scenario.Connections is { } connections ? $"{scenario.Label} ({connections} connections)" : scenario.Label;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {number} | {label} | {scenario.Instance} | {Format(summary.RequestsPerSecond, "N0")} | {rounds} | {ratio} | {addedCpu} | {Format(summary.MedianMs, "F2")} | {Format(summary.P99Ms, "F2")} | {summary.Requests:N0} | {summary.Errors:N0} | {introspections} | {peaks} |");
        }

        text.AppendLine();
        text.AppendLine("Introspections: sent by the measured instance during the measurements (its log lines), whichever the token.");
        text.AppendLine();
        text.AppendLine("Ratio: to the anonymous request of the same group (`GET /api/ping`, resp. anonymous `GET /api/posts/{id}`, resp. the bare Npgsql read `GET /api/ping/posts/{id}`; for the many-tokens rows `GET /api/ping` sent the same way, the tokens in a header it ignores), rates over all rounds.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Added CPU per request: {Environment.ProcessorCount} cores / (req/s of the row) - {Environment.ProcessorCount} cores / (req/s of its baseline), in microseconds: what the row's work adds to a request of the whole machine (service, Redis, user service and wrk share the cores), comparable across designs whose baselines differ. The baseline row shows its own cores / req/s.");
        if (summaries.FirstOrDefault(summary => summary.Scenario.Key == Scenarios.ManyRedis) is { AddedCpuMicroseconds: { } redisAdded }
            && summaries.FirstOrDefault(summary => summary.Scenario.Key == Scenarios.ManyRedisFloor) is { AddedCpuMicroseconds: { } floorAdded })
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"A Redis hit with many tokens adds {Format(redisAdded, "F1")} us per request, of which one plain Redis GET of the same entry through the same connection (the floor row) adds {Format(floorAdded, "F1")} us and Blog's own work (the read script with the revocation markers, the seal, the principal) the other {Format(redisAdded - floorAdded, "F1")} us.");
        }

        if (coldStart is not null)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Cold start with many tokens: one request (`GET /api/ping/me`) per token, each new to `{coldStart.Instance}` and to Redis, {coldStart.Connections} at a time; introspections counted from the instance's log lines.");
            text.AppendLine();
            text.AppendLine("| instance | tokens | req/s | errors | introspections | p50 ms | p99 ms | wall s |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {coldStart.Instance} | {coldStart.Tokens:N0} | {Format(coldStart.RequestsPerSecond, "N0")} | {coldStart.Errors} | {coldStart.Introspections:N0} | {Format(coldStart.MedianMs, "F1")} | {Format(coldStart.P99Ms, "F1")} | {Format(coldStart.WallMs / 1000, "F1")} |");
        }

        if (sealCost is { MemoryPerEntryBytes: > 0 })
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Memory per in-process entry: {Format(sealCost.MemoryPerEntryBytes, "N0")} bytes (managed heap after a full collection, {sealCost.MemoryEntries:N0} typical entries and their keys in the in-process level, measured in process before the application starts).");
        }
        text.AppendLine();
        text.AppendLine("Stampede: concurrent first requests (`GET /api/ping/me`) with a token the instance has never seen; introspections counted from the instance's log line \"Introspecting token {TokenId}\".");
        text.AppendLine();
        text.AppendLine("| instance | requests | errors | introspections | p50 ms | p99 ms | burst wall ms |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var stampede in stampedes)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {stampede.Instance} | {stampede.Requests} | {stampede.Errors} | {stampede.Introspections} | {Format(stampede.MedianMs, "F1")} | {Format(stampede.P99Ms, "F1")} | {Format(stampede.WallMs, "F0")} |");
        }

        text.AppendLine();
        text.AppendLine("Goals:");
        text.AppendLine();
        text.AppendLine("| goal | target | measured | met |");
        text.AppendLine("|---|---|---|---|");
        foreach (var goal in goals)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {goal.Goal} | {goal.Target} | {goal.Measured} | {(goal.Met ? "yes" : "**no**")} |");
        }

        text.AppendLine();
        text.AppendLine("Peak RSS of each service process over the whole run (VmHWM):");
        text.AppendLine();
        text.AppendLine("| process | settings | peak RSS MiB |");
        text.AppendLine("|---|---|---:|");
        foreach (var instance in instances)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {instance.Name} | {instance.Settings} | {Mebibytes(runPeaks.GetValueOrDefault(instance.Name))} |");
        }

        return text.ToString();
    }

    /// <summary>Puts the results between the markers of a Markdown file (appending markers when it has none).</summary>
    public static string ReplaceResults(string document, string results)
    {
        var block = $"{StartMarker}\n{results.TrimEnd()}\n{EndMarker}";
        var start = document.IndexOf(StartMarker, StringComparison.Ordinal);
        var end = document.IndexOf(EndMarker, StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            return document.TrimEnd() + (document.Length > 0 ? "\n\n" : "") + block + "\n";
        }

        return string.Concat(document.AsSpan(0, start), block, document.AsSpan(end + EndMarker.Length));
    }

    private static string Mebibytes(long? bytes) => bytes is { } value ? Format(value / 1048576.0, "F0") : "?";

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary>Where and how the run happened, written with its results.</summary>
public sealed record RunInfo(DateTime StartedAt, TimeSpan Elapsed, string Machine, string LoadBefore, string LoadAfter, string Command, string Generator, BenchmarkOptions Options)
{
    public static string DescribeMachine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memoryKilobytes = ProcessMemory.ParseStatusKilobytes(File.ReadAllText("/proc/meminfo"), "MemTotal:") ?? 0;
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(line => line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : null;
        return $"{Environment.ProcessorCount} cores (nproc), {cpu}, {memoryKilobytes / 1048576.0:F1} GiB, {os ?? "Linux"}";
    }

    public static string ReadLoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static double ReadOneMinuteLoad() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}
