using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Blog.Benchmarks;

/// <summary>
/// One HTTP request shape for wrk: every request of a measurement is the same, unless <see cref="Tokens"/> is given:
/// then each request carries the next of these tokens in <see cref="TokenHeader"/> (as "Bearer ..."), each wrk thread
/// cycling through its own share of them, so that no two requests in flight carry the same token.
/// </summary>
public sealed record HttpRequestShape(
    Uri Url, string Method = "GET", string? BearerToken = null, string? FormBody = null, IReadOnlyList<string>? Tokens = null, string TokenHeader = "Authorization")
{
    /// <summary>The token of a single request (the first of many).</summary>
    public string? FirstToken => BearerToken ?? Tokens?.FirstOrDefault();

    /// <summary>The header of a single request with <see cref="FirstToken"/> (null when the request carries none).</summary>
    public (string Name, string Value)? FirstTokenHeader
        => BearerToken is { } token ? ("Authorization", $"Bearer {token}") : Tokens is [var first, ..] ? (TokenHeader, $"Bearer {first}") : null;
}

/// <summary>What wrk measured: latencies in microseconds, errors by kind (a non-2xx/3xx answer counts as a status error).</summary>
public sealed record WrkResult(
    long Requests, double DurationSeconds, long ConnectErrors, long ReadErrors, long WriteErrors, long StatusErrors, long TimeoutErrors,
    double MedianMicroseconds, double P99Microseconds)
{
    public long Errors => ConnectErrors + ReadErrors + WriteErrors + StatusErrors + TimeoutErrors;

    public double RequestsPerSecond => DurationSeconds > 0 ? Requests / DurationSeconds : 0;

    public const string Marker = "WRK_RESULT";

    /// <summary>Reads the line the generated script's done() writes; null when wrk wrote none.</summary>
    public static WrkResult? Parse(string output)
    {
        var line = output.Split('\n').Select(candidate => candidate.Trim()).LastOrDefault(candidate => candidate.StartsWith(Marker + " ", StringComparison.Ordinal));
        if (line is null)
        {
            return null;
        }

        var fields = line[(Marker.Length + 1)..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(field => field.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => double.Parse(pair[1], CultureInfo.InvariantCulture));
        return new WrkResult(
            (long)fields["requests"], fields["duration_us"] / 1e6,
            (long)fields["connect"], (long)fields["read"], (long)fields["write"], (long)fields["status"], (long)fields["timeout"],
            fields["p50_us"], fields["p99_us"]);
    }
}

/// <summary>
/// Runs wrk (Debian package "wrk"), a C load generator: on two cores it leaves far more CPU to the server than a .NET
/// client would, and it is what the anchors in auth-path-anchors.md were measured with (-t2 -c32). A generated Lua
/// script sets the request and prints the summary in one line.
/// </summary>
public static class Wrk
{
    public static bool IsInstalled()
        => Environment.GetEnvironmentVariable("PATH")?.Split(':').Any(directory => File.Exists(Path.Combine(directory, "wrk"))) == true;

    /// <summary>
    /// The request is static (wrk builds it once) and no per-request Lua function is defined: one would cost wrk CPU on
    /// every request, taken from the server on two cores, and more so the faster the scenario. With many tokens, every
    /// request is built once in each thread's init() and request() only hands out the next one (the least Lua can do);
    /// the rows that use it are compared with a baseline sent the same way.
    /// </summary>
    public static string CreateScript(HttpRequestShape request, int threads = 1)
    {
        var script = new StringBuilder();
        if (request.Tokens is { Count: > 0 } tokens)
        {
            script.AppendLine("local tokens = {");
            foreach (var token in tokens)
            {
                script.AppendLine(CultureInfo.InvariantCulture, $"  \"{token}\",");
            }

            script.AppendLine("}");
            script.AppendLine(CultureInfo.InvariantCulture, $$"""
                local threads = {{threads}}
                local created = 0
                setup = function(thread)
                  thread:set("slot", created)
                  created = created + 1
                end
                local requests = {}
                local next_request = 1
                init = function(args)
                  for i = slot + 1, #tokens, threads do
                    requests[#requests + 1] = wrk.format(nil, nil, { ["Host"] = "{{request.Url.Authority}}", ["{{request.TokenHeader}}"] = "Bearer " .. tokens[i] })
                  end
                end
                request = function()
                  local r = requests[next_request]
                  next_request = next_request % #requests + 1
                  return r
                end
                """);
        }

        script.AppendLine(CultureInfo.InvariantCulture, $"wrk.method = \"{request.Method}\"");
        if (request.BearerToken is not null)
        {
            script.AppendLine(CultureInfo.InvariantCulture, $"wrk.headers[\"Authorization\"] = \"Bearer {request.BearerToken}\"");
        }

        if (request.FormBody is not null)
        {
            script.AppendLine("wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"");
            script.AppendLine(CultureInfo.InvariantCulture, $"wrk.body = \"{request.FormBody}\"");
        }

        script.AppendLine("""
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("WRK_RESULT duration_us=%d requests=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
                summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
                latency:percentile(50), latency:percentile(99)))
            end
            """);
        return script.ToString();
    }

    /// <summary>
    /// wrk has no request bound of its own: the request bound becomes a time bound from the rate the warm-up saw
    /// (never below one second, never above the duration asked for).
    /// </summary>
    public static TimeSpan BoundDuration(TimeSpan duration, long maxRequests, double? warmupRequestsPerSecond)
        => warmupRequestsPerSecond is > 0 and var rate
            ? TimeSpan.FromSeconds(Math.Clamp(Math.Floor(maxRequests / rate), 1, duration.TotalSeconds))
            : duration;

    public static async Task<WrkResult> RunAsync(HttpRequestShape request, int threads, int connections, TimeSpan duration, CancellationToken cancellationToken)
    {
        // The script holds a bearer token of the benchmark's own throw-away user: private file, deleted at once.
        var scriptPath = Path.Combine(Path.GetTempPath(), $"blog-bench-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(scriptPath, "", cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(scriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await File.WriteAllTextAsync(scriptPath, CreateScript(request, threads), cancellationToken);
        try
        {
            var start = new ProcessStartInfo("wrk")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
                     {
                         "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
                         "-d", $"{Math.Max(1, (int)Math.Round(duration.TotalSeconds))}s", "--timeout", "10s", "-s", scriptPath, request.Url.ToString(),
                     })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            // wrk stops by itself at -d; the margin only guards against a hung generator.
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(duration + TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"wrk did not finish within {duration.TotalSeconds + 30} s.");
            }

            var text = await output;
            return WrkResult.Parse(text)
                ?? throw new InvalidOperationException($"wrk exited with {process.ExitCode} without a result: {text} {await errors}");
        }
        finally
        {
            File.Delete(scriptPath);
        }
    }
}
