using System.Globalization;

namespace Blog.Benchmarks;

/// <summary>What one benchmark run does; every bound has a default that keeps a full run near five minutes.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Measured seconds per scenario and round (wrk -d).</summary>
    public int DurationSeconds { get; init; } = 10;

    /// <summary>Unmeasured seconds of the same load before each measurement (JIT tiers, pools, caches).</summary>
    public int WarmupSeconds { get; init; } = 2;

    /// <summary>How many times the whole list of scenarios runs, one after the other (interleaved variants).</summary>
    public int Rounds { get; init; } = 2;

    /// <summary>wrk -t: threads of the load generator.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>wrk -c: open connections, each sending its next request when the previous answer arrived.</summary>
    public int Connections { get; init; } = 32;

    /// <summary>Upper bound of requests in one measurement, whichever of it and the duration comes first.</summary>
    public long MaxRequests { get; init; } = 2_000_000;

    /// <summary>Concurrent first requests with one fresh token in the stampede scenario.</summary>
    public int StampedeRequests { get; init; } = 200;

    /// <summary>Revocations timed from the revocation request until every post service replica refuses the token.</summary>
    public int Revocations { get; init; } = 100;

    /// <summary>Honest first requests (fresh tokens) measured alone and under one client's junk-token flood; 0 skips it.</summary>
    public int JunkFloodRequests { get; init; } = 200;

    /// <summary>Before starting, wait (at most <see cref="MaxIdleWaitSeconds"/>) until the 1-minute load average is below this.</summary>
    public double IdleLoadAverage { get; init; } = 1.0;

    /// <summary>
    /// Distinct tokens of the many-tokens rows (cold start, in-process hit, Redis hit); 0 leaves those rows out. Minted
    /// by refresh grants before the application is measured (see docs/benchmarks.md for why this many).
    /// </summary>
    public int ManyTokens { get; init; } = 2_000;

    public int MaxIdleWaitSeconds { get; init; } = 0;

    /// <summary>Only these scenarios (keys as in <see cref="Scenarios"/>); all when empty. For development.</summary>
    public IReadOnlyList<string> OnlyScenarios { get; init; } = [];

    /// <summary>A Markdown file whose results block (between markers) is replaced by this run's results.</summary>
    public string? OutputFile { get; init; }

    /// <summary>Only the in-process measurement of the token cache's entry seal (seconds; no application started).</summary>
    public bool SealOnly { get; init; }

    /// <summary>The command line as given, recorded with the results.</summary>
    public string CommandLine { get; init; } = "";

    public const string Usage = """
        Usage: dotnet run -c Release --project Blog.Benchmarks -- [options]
          --duration <s>        measured seconds per scenario and round (default 10)
          --warmup <s>          unmeasured seconds before each measurement (default 2)
          --rounds <n>          rounds over all scenarios, interleaving the variants (default 2)
          --threads <n>         wrk threads (default 2)
          --connections <n>     wrk connections (default 32)
          --max-requests <n>    request bound of one measurement (default 2000000)
          --stampede <n>        concurrent first requests with a fresh token (default 200)
          --junk-flood <n>      honest first requests measured alone and under a junk-token flood (default 200, 0 skips)
          --tokens <n>          distinct tokens of the many-tokens rows (default 2000, 0 leaves them out)
          --wait-idle <s>       wait up to s seconds for the 1-minute load average to drop below --idle-load (default 0)
          --idle-load <x>       load average counted as idle (default 1.0)
          --only <key,key>      run only these scenarios (ping-anonymous, ping-memory, ..., password-grant, redis-down)
          --output <file>       write the results into this Markdown file (between its results markers)
          --seal-only           only the in-process cost of the token cache's entry seal (no application started)
          --smoke               a few seconds in all: 1 round, 1 s per scenario, no warm-up, 20 stampede requests
        """;

    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchmarkOptions { CommandLine = string.Join(' ', args) };
        for (var index = 0; index < args.Count; index++)
        {
            var name = args[index];
            if (name == "--seal-only")
            {
                options = options with { SealOnly = true };
                continue;
            }

            if (name == "--smoke")
            {
                options = options with { DurationSeconds = 1, WarmupSeconds = 0, Rounds = 1, StampedeRequests = 20, Revocations = 5, JunkFloodRequests = 20, ManyTokens = 100 };
                continue;
            }

            if (index + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.\n{Usage}");
            }

            var value = args[++index];
            options = name switch
            {
                "--duration" => options with { DurationSeconds = Positive(name, value) },
                "--warmup" => options with { WarmupSeconds = NonNegative(name, value) },
                "--rounds" => options with { Rounds = Positive(name, value) },
                "--threads" => options with { Threads = Positive(name, value) },
                "--connections" => options with { Connections = Positive(name, value) },
                "--max-requests" => options with { MaxRequests = Positive(name, value) },
                "--stampede" => options with { StampedeRequests = Positive(name, value) },
                "--revocations" => options with { Revocations = Positive(name, value) },
                "--tokens" => options with { ManyTokens = NonNegative(name, value) },
                "--junk-flood" => options with { JunkFloodRequests = NonNegative(name, value) },
                "--wait-idle" => options with { MaxIdleWaitSeconds = NonNegative(name, value) },
                "--idle-load" => options with { IdleLoadAverage = double.Parse(value, CultureInfo.InvariantCulture) },
                "--output" => options with { OutputFile = value },
                "--only" => options with { OnlyScenarios = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                _ => throw new ArgumentException($"Unknown option {name}.\n{Usage}"),
            };
        }

        if (options.Connections < options.Threads)
        {
            throw new ArgumentException("wrk needs at least one connection per thread (--connections >= --threads).");
        }

        return options;
    }

    private static int Positive(string name, string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{name} must be a positive integer, not '{value}'.");

    private static int NonNegative(string name, string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new ArgumentException($"{name} must be a non-negative integer, not '{value}'.");
}
