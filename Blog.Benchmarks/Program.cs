using System.Diagnostics;
using Blog.Benchmarks;

// What the introspection cache buys: starts Blog (local mode, throw-away data directory) with one post-service
// instance per cache setting, warms up, measures every scenario with wrk in interleaved rounds, then the stampede,
// prints the results as Markdown and, with --output, writes them into a Markdown file. See docs/benchmarks.md.
BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException exception)
{
    await Console.Error.WriteLineAsync(exception.Message);
    return 2;
}

// In process and in seconds: measured first, on the same machine as the rest.
var sealCost = SealCost.Measure(options.SealOnly ? 200_000 : 100_000);
Log($"token cache seal: seal {sealCost.SealNs:F0} ns, open {sealCost.OpenNs:F0} ns (JSON alone {sealCost.DeserializeNs:F0} ns), in-process hit {sealCost.MemoryHitNs:F0} ns");
if (options.SealOnly)
{
    Console.WriteLine($"Machine: {RunInfo.DescribeMachine()}; load average {RunInfo.ReadLoadAverage()}.\n");
    Console.WriteLine(SealCost.ToMarkdown(sealCost));
    return 0;
}

if (!Wrk.IsInstalled())
{
    await Console.Error.WriteLineAsync("wrk is not installed: apt-get install -y wrk (scripts/benchmark.sh does it).");
    return 2;
}

await WaitForIdleMachineAsync(options);
var startedAt = DateTime.UtcNow;
var clock = Stopwatch.StartNew();
var loadBefore = RunInfo.ReadLoadAverage();
var machine = RunInfo.DescribeMachine();
Log($"machine: {machine}; load average {loadBefore}");

using var run = new CancellationTokenSource(TimeSpan.FromMinutes(60));
using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(run.Token);
startTimeout.CancelAfter(TimeSpan.FromMinutes(4));
Log("starting Blog (local mode) with three post-service instances");
await using var blog = await BlogUnderTest.StartAsync(startTimeout.Token);
foreach (var instance in blog.Instances.Values)
{
    Log($"  {instance.Name}: {instance.Address} pid {instance.ProcessId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} ({instance.Settings})");
}

using var userService = blog.CreateClient(BlogUnderTest.UserService);
using var postService = blog.CreateClient(BlogUnderTest.PostService);
var account = await BenchmarkAccount.CreateAsync(userService, postService, run.Token);
var introspectionForm = $"client_id={Uri.EscapeDataString(Blog.ServiceDefaults.OAuth.BlogClients.PostService)}"
    + $"&client_secret={Uri.EscapeDataString(await blog.GetParameterValueAsync(Blog.TestKit.BlogResources.PostServiceClientSecret))}&token={Uri.EscapeDataString(account.AccessToken)}";
// Many distinct tokens, minted now, then introduced to the default instance all at once (the cold start), which leaves
// each in its in-process level and in Redis for the many-tokens rows of the rounds.
// Logins the tokens are minted from: one password grant each, then refresh grants in turn.
const int ManyTokenLogins = 4;
IReadOnlyList<string>? manyTokens = null;
ColdStartResult? coldStart = null;
if (options.ManyTokens > 0 && (options.OnlyScenarios.Count == 0 || options.OnlyScenarios.Any(Scenarios.ManyTokenKeys.Contains)))
{
    var minting = Stopwatch.StartNew();
    manyTokens = await account.MintTokensAsync(userService, options.ManyTokens, ManyTokenLogins, run.Token);
    Log($"minted {manyTokens.Count:N0} tokens in {minting.Elapsed.TotalSeconds:F1} s ({manyTokens.Count / minting.Elapsed.TotalSeconds:F0}/s: refresh grants over {ManyTokenLogins} logins)");
    await WaitUntilSettledAsync(blog, run.Token);
    var introspectionsBefore = blog.CountIntrospections(BlogUnderTest.PostService);
    var cold = await ColdStart.RunAsync(blog.Instances[BlogUnderTest.PostService].Address, "/api/ping/me", manyTokens, options.Connections, TimeSpan.FromSeconds(30), run.Token);
    // The log lines are written before each call is sent; the delay only lets the log stream reach us.
    await Task.Delay(TimeSpan.FromSeconds(2), run.Token);
    coldStart = new ColdStartResult(BlogUnderTest.PostService, manyTokens.Count, options.Connections, cold.Errors,
        blog.CountIntrospections(BlogUnderTest.PostService) - introspectionsBefore, cold.MedianMs, cold.P99Ms, cold.WallMs);
    Log($"cold start {coldStart.Instance}: {coldStart.Tokens} new tokens, {coldStart.Connections} at a time: {coldStart.RequestsPerSecond:F0} req/s, {coldStart.Errors} errors, "
        + $"{coldStart.Introspections} introspections, p50 {coldStart.MedianMs:F1} ms, p99 {coldStart.P99Ms:F1} ms");
    await WaitUntilSettledAsync(blog, run.Token);
}

var scenarios = Scenarios.Create(blog.Instances, account, introspectionForm, manyTokens)
    .Where(scenario => options.OnlyScenarios.Count == 0 || options.OnlyScenarios.Contains(scenario.Key))
    .ToList();

// Every scenario once, so each instance has introspected (or cached) the token and JIT'ed its paths before any round.
foreach (var scenario in scenarios)
{
    using var client = new HttpClient();
    using var request = new HttpRequestMessage(new HttpMethod(scenario.Request.Method), scenario.Request.Url);
    if (scenario.Request.FirstTokenHeader is { } header)
    {
        request.Headers.TryAddWithoutValidation(header.Name, header.Value);
    }

    if (scenario.Request.FormBody is { } form)
    {
        request.Content = new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
    }

    using var response = await client.SendAsync(request, run.Token);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{scenario.Key}: first request answered {(int)response.StatusCode}");
    }
}

var processIds = blog.Instances.Values.Where(instance => instance.ProcessId is not null).ToDictionary(instance => instance.Name, instance => instance.ProcessId!.Value);
var runPeaks = processIds.Keys.ToDictionary(name => name, _ => (long?)null);
void RecordRunPeaks(IReadOnlyDictionary<string, long?> peaks)
{
    foreach (var (name, peak) in peaks)
    {
        runPeaks[name] = Math.Max(runPeaks[name] ?? 0, peak ?? 0);
    }
}

Dictionary<string, long?> ReadPeaks() => processIds.ToDictionary(pair => pair.Key, pair => ProcessMemory.ReadPeakBytes(pair.Value));

// From the instance's log stream, which lags a little behind: counted after the measurement settled.
int IntrospectionsOf(Scenario scenario) => scenario.Instance.StartsWith(BlogUnderTest.UserService, StringComparison.Ordinal) ? 0 : blog.CountIntrospections(scenario.Instance);

var generator = $"wrk -t{options.Threads} -c{options.Connections} (closed loop, keep-alive, loopback, the services' own addresses)";
var measurements = new List<Measurement>();
for (var round = 1; round <= options.Rounds; round++)
{
    foreach (var scenario in scenarios)
    {
        var connections = scenario.Connections ?? options.Connections;
        var threads = Math.Min(options.Threads, connections);
        double? warmupRate = null;
        if (options.WarmupSeconds > 0)
        {
            warmupRate = (await Wrk.RunAsync(scenario.Request, threads, connections, TimeSpan.FromSeconds(options.WarmupSeconds), run.Token)).RequestsPerSecond;
            await WaitUntilSettledAsync(blog, run.Token);
        }

        // Peaks before the reset belong to the run (warm-up included); after it, to this measurement.
        RecordRunPeaks(ReadPeaks());
        foreach (var pid in processIds.Values)
        {
            ProcessMemory.TryResetPeak(pid);
        }

        var introspectionsBefore = IntrospectionsOf(scenario);
        var duration = Wrk.BoundDuration(TimeSpan.FromSeconds(options.DurationSeconds), options.MaxRequests, warmupRate);
        var cpuBefore = processIds.TryGetValue(scenario.Instance, out var measuredPid) ? ProcessCpu.ReadTotal(measuredPid) : null;
        var result = await Wrk.RunAsync(scenario.Request, threads, connections, duration, run.Token);
        var cpuAfter = processIds.TryGetValue(scenario.Instance, out measuredPid) ? ProcessCpu.ReadTotal(measuredPid) : null;
        var peaks = ReadPeaks();
        // Slow scenarios leave requests in flight when wrk stops (an uncached one, introspections): let them drain so
        // the next measurement does not pay for them (their introspections count for this one).
        await WaitUntilSettledAsync(blog, run.Token);
        var introspections = IntrospectionsOf(scenario) - introspectionsBefore;
        RecordRunPeaks(peaks);
        measurements.Add(new Measurement(scenario, round, result, peaks, introspections));
        // What each request cost the measured instance in CPU (steadier than the rate on a busy machine).
        var cpuPerRequest = cpuAfter - cpuBefore is { } cpu && result.Requests > 0 ? $"{cpu.TotalMicroseconds / result.Requests:F0} us" : "?";
        Log($"round {round} {scenario.Key,-16} {result.RequestsPerSecond,10:N0} req/s  p50 {result.MedianMicroseconds / 1000,7:F2} ms  p99 {result.P99Microseconds / 1000,7:F2} ms  errors {result.Errors}  introspections {introspections}  instance CPU/request {cpuPerRequest}");
    }
}

var stampedes = new List<StampedeResult>();
foreach (var instance in new[] { BlogUnderTest.PostService, BlogUnderTest.PostServiceRedisOnly })
{
    // A token nobody has used: neither level of any instance has it.
    var freshToken = await account.RequestTokenAsync(userService, run.Token);
    var burst = await Stampede.RunAsync(blog.Instances[instance].Address, "/api/ping/me", freshToken, options.StampedeRequests, TimeSpan.FromSeconds(30), run.Token);
    // The log line is written before the call is sent; the delay only lets the log stream reach us.
    await Task.Delay(TimeSpan.FromSeconds(2), run.Token);
    var stampede = new StampedeResult(instance, burst.Requests, burst.Errors, blog.CountIntrospections(instance, freshToken), burst.MedianMs, burst.P99Ms, burst.WallMs);
    stampedes.Add(stampede);
    Log($"stampede {instance}: {stampede.Requests} requests, {stampede.Errors} errors, {stampede.Introspections} introspections, p50 {stampede.MedianMs:F1} ms, p99 {stampede.P99Ms:F1} ms");
}

// What one client sending junk bearer values takes from the others (their first requests, which need introspections).
JunkFloodResult? junkFlood = null;
if (options.JunkFloodRequests > 0)
{
    junkFlood = await JunkFlood.MeasureAsync(blog, BlogUnderTest.PostService, token => account.RequestTokenAsync(userService, token), options.JunkFloodRequests, run.Token);
    Log($"junk flood: honest first requests alone {Format(junkFlood.Quiet)}, under the flood {Format(junkFlood.Flooded)}, {junkFlood.HonestErrors} honest errors; "
        + $"junk {junkFlood.JunkRequests} requests ({junkFlood.JunkRefused} refused 401/429, {junkFlood.JunkOther} other), {junkFlood.Introspections} introspections for junk");
}

// Revocation-to-refusal across the post service's replicas (each on its own address).
var replicas = await blog.GetReplicaAddressesAsync(BlogUnderTest.PostService, run.Token);
var revocation = await RevocationLatency.MeasureAsync(userService, replicas, account.UserName, account.Password, options.Revocations, run.Token);
Log($"revocation to refusal on {replicas.Count} replicas: {revocation.Revocations} revocations, {revocation.NotRefusedInTime} not refused within 5 s; "
    + $"revocation sent to last refusal {Format(revocation.Total)}; revocation endpoint's answer {Format(revocation.Endpoint)}; last refusal relative to that answer {Format(revocation.AfterAnswer)}; warm-up {Format(revocation.WarmUp)}");

// Redis down: last, since every measurement above needs Redis.
RedisOutageResult? redisOutage = null;
if (options.OnlyScenarios.Count == 0 || options.OnlyScenarios.Contains(RedisOutage.Key))
{
    redisOutage = await RedisOutage.MeasureAsync(blog, token => account.RequestTokenAsync(userService, token), userService,
        options.Threads, options.Connections, TimeSpan.FromSeconds(options.DurationSeconds), run.Token);
    Log($"redis down: {redisOutage.Normal.RequestsPerSecond:N0} req/s before, {redisOutage.Outage.RequestsPerSecond:N0} during (ratio {redisOutage.Ratio:F3}); "
        + $"introspections {redisOutage.Introspections} (allowed {redisOutage.AllowedIntrospections}); revoked {redisOutage.Revocations}, refused within the bound {redisOutage.RefusedWithinBound} (slowest {redisOutage.SlowestRefusalMs:F0} ms)");
}

RecordRunPeaks(ReadPeaks());
var summaries = ScenarioSummary.Summarize(measurements);
var goals = Report.CheckGoals(summaries, stampedes, coldStart).Concat(redisOutage is null ? [] : RedisOutage.Goals(redisOutage)).ToList();
var command = "dotnet run -c Release --project Blog.Benchmarks" + (options.CommandLine.Length > 0 ? " -- " + options.CommandLine : "");
var info = new RunInfo(startedAt, clock.Elapsed, machine, loadBefore, RunInfo.ReadLoadAverage(), command, generator, options);
var markdown = Report.ToMarkdown(info, summaries, stampedes, goals, [.. blog.Instances.Values], runPeaks, coldStart, sealCost)
    + $"""

    Revocation to refusal ({revocation.Revocations} revocations at the user service's revocation endpoint after {RevocationLatency.WarmupRevocations} uncounted ones, each token cached by all {replicas.Count} `postservice` replicas first; from sending the revocation, every replica polled on its own address with `GET {RevocationLatency.PolledPath}` (authentication only), a request at most every {RevocationLatency.PollInterval.TotalMilliseconds:F0} ms, until it answers 401; {revocation.NotRefusedInTime} not refused within 5 s):

    | part | median ms | p99 ms | max ms |
    |---|---:|---:|---:|
    | sending the revocation -> last replica's 401 | {revocation.Total.MedianMs:F1} | {revocation.Total.P99Ms:F1} | {revocation.Total.MaxMs:F1} |
    | sending the revocation -> the endpoint's answer | {revocation.Endpoint.MedianMs:F1} | {revocation.Endpoint.P99Ms:F1} | {revocation.Endpoint.MaxMs:F1} |
    | the endpoint's answer -> last replica's 401 (negative: before the answer) | {revocation.AfterAnswer.MedianMs:F1} | {revocation.AfterAnswer.P99Ms:F1} | {revocation.AfterAnswer.MaxMs:F1} |
    | warm-up: the first {RevocationLatency.WarmupRevocations} revocations after start, sending -> last replica's 401 (not counted above) | {revocation.WarmUp.MedianMs:F1} | {revocation.WarmUp.P99Ms:F1} | {revocation.WarmUp.MaxMs:F1} |

    Goal: p99 of sending -> last replica's 401 under {RevocationLatencyResult.GoalP99Ms:F0} ms, every token refused: {(revocation.GoalMet ? "met" : "NOT met")}.
    Goal: the first {RevocationLatency.WarmupRevocations} revocations' p99 at most {RevocationLatencyResult.GoalWarmUpFactor:F1}x the steady p99 (measured: {revocation.WarmUpFactor:F2}x): {(revocation.WarmUpGoalMet ? "met" : "NOT met")}.
    Goal: steady p99 under {RevocationLatencyResult.GoalSteadyP99Ms:F0} ms on a quiet machine (measured: {revocation.Total.P99Ms:F1} ms; load average before the run: {loadBefore}): {(revocation.SteadyGoalMet ? "met" : "NOT met")}.
    """ + (junkFlood is null ? "" : $"""


    Junk flood ({junkFlood.HonestRequests} honest first requests, `GET /api/ping/me` of `postservice` with a fresh token each, {JunkFlood.HonestAddress}, 4 at a time; alone, then while one client at {JunkFlood.JunkAddress} sends forged bearer values shaped like this issuer's tokens, 32 at a time):

    | honest first requests | median ms | p99 ms | max ms |
    |---|---:|---:|---:|
    | alone | {junkFlood.Quiet.MedianMs:F1} | {junkFlood.Quiet.P99Ms:F1} | {junkFlood.Quiet.MaxMs:F1} |
    | under the junk flood | {junkFlood.Flooded.MedianMs:F1} | {junkFlood.Flooded.P99Ms:F1} | {junkFlood.Flooded.MaxMs:F1} |

    The junk client sent {junkFlood.JunkRequests:N0} requests: {junkFlood.JunkRefused:N0} refused (401 or 429), {junkFlood.JunkOther:N0} other answers; the instance introspected {junkFlood.Introspections:N0} of them. Honest errors: {junkFlood.HonestErrors}.
    Goal: no honest error and the flooded p99 at most {JunkFloodResult.GoalP99Factor:F0}x the quiet p99: {(junkFlood.GoalMet ? "met" : "NOT met")}.
    """);
if (redisOutage is not null)
{
    markdown += "\n\n" + RedisOutage.ToMarkdown(redisOutage);
}

markdown += "\n\n" + SealCost.ToMarkdown(sealCost);
Console.WriteLine();
Console.WriteLine(markdown);
if (options.OutputFile is { } outputFile)
{
    var document = File.Exists(outputFile) ? await File.ReadAllTextAsync(outputFile, run.Token) : "";
    await File.WriteAllTextAsync(outputFile, Report.ReplaceResults(document, markdown), run.Token);
    Log($"results written to {outputFile}");
}

return goals.All(goal => goal.Met) && revocation.GoalMet && revocation.WarmUpGoalMet && revocation.SteadyGoalMet && (junkFlood?.GoalMet ?? true) && (redisOutage?.GoalMet ?? true) ? 0 : 1;

static string Format(LatencySummary summary) => $"median {summary.MedianMs:F1} / p99 {summary.P99Ms:F1} / max {summary.MaxMs:F1} ms";

static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

// Settled: every service answers a cheap request quickly again (bounded: at most 15 s).
static async Task WaitUntilSettledAsync(BlogUnderTest blog, CancellationToken cancellationToken)
{
    var deadline = Stopwatch.StartNew();
    using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    while (deadline.Elapsed < TimeSpan.FromSeconds(15))
    {
        var slowest = TimeSpan.Zero;
        foreach (var instance in blog.Instances.Values)
        {
            var probe = Stopwatch.StartNew();
            using var response = await client.GetAsync(new Uri(instance.Address, "/alive"), cancellationToken);
            slowest = probe.Elapsed > slowest ? probe.Elapsed : slowest;
        }

        if (slowest < TimeSpan.FromMilliseconds(20))
        {
            return;
        }

        await Task.Delay(250, cancellationToken);
    }
}

static async Task WaitForIdleMachineAsync(BenchmarkOptions options)
{
    var deadline = DateTime.UtcNow.AddSeconds(options.MaxIdleWaitSeconds);
    while (RunInfo.ReadOneMinuteLoad() >= options.IdleLoadAverage && DateTime.UtcNow < deadline)
    {
        Log($"load average {RunInfo.ReadLoadAverage()} (waiting for < {options.IdleLoadAverage}, until {deadline.ToLocalTime():HH:mm:ss})");
        await Task.Delay(TimeSpan.FromSeconds(15));
    }
}
