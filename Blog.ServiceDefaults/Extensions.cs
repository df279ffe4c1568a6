using Blog.ServiceDefaults.Database;
using Blog.ServiceDefaults.Health;
using Blog.ServiceDefaults.Http;
using Blog.ServiceDefaults.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Blog service shares: telemetry to the dashboard, health endpoints, service discovery, resilient
/// HTTP clients and ProblemDetails. Shaped like the Aspire template's ServiceDefaults.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>How long /health's checks may run, whether or not the probe still waits.</summary>
    private static readonly TimeSpan HealthChecksBound = TimeSpan.FromSeconds(10);
    public const long MaxRequestBodyBytes = 1024 * 1024;
    private const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        // ProblemDetails for every client error, and one rule for unknown JSON fields (refused), in every service.
        builder.Services.AddRequestProblems(MaxRequestBodyBytes);
        // The client's address: the TCP peer, or what a configured proxy forwarded (rate limits partition by it).
        builder.AddTrustedForwardedHeaders();
        // No Blog request needs more; a larger body gets 413 ProblemDetails instead of being read.
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        // The one clock of every service (a test host may register its own first).
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                // Each service names its own meters "Blog.*" (cache hits, introspection calls, ...).
                .AddMeter("Blog.*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("Blog.*")
                .AddAspNetCoreInstrumentation(options =>
                    // Health probes would drown the traces of real requests.
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// The middleware every Blog service runs first, inside its exception handler: the response headers every answer
    /// carries, and 503 until the service's databases are migrated and seeded.
    /// </summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseBlogResponseHeaders();
        app.UseDatabaseReadiness();
        return app;
    }

    /// <summary>
    /// <c>/health</c>: every check (database, Redis, migrations, ...), as JSON naming each check and its status (no description:
    /// those hold exception messages and addresses);
    /// <c>/alive</c>: only the liveness check. Both are unauthenticated by design and carry no exception detail.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments(HealthEndpointPath), health => health.Use(RunChecksToTheirEnd));
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        return app;
    }

    /// <summary>
    /// A probe that gives up (its own timeout under load) would cancel the checks, and each cancelled check is logged as
    /// Unhealthy at Error: a fault that is not one. The checks run to their end instead, bounded here.
    /// </summary>
    private static async Task RunChecksToTheirEnd(HttpContext context, RequestDelegate next)
    {
        using var bound = new CancellationTokenSource(HealthChecksBound);
        context.RequestAborted = bound.Token;
        await next(context);
    }
}
