using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Blog.ServiceDefaults.Health;

/// <summary>
/// Writes a health report as <c>{ status, checks: { name: { status } } }</c>. The checks' descriptions are left out: they
/// carry exception messages and internal addresses, and /health answers anyone. A failing check's description and
/// exception are in the service's log (the health check service logs them), where the dashboard shows them.
/// </summary>
public static class HealthReportWriter
{
    /// <summary>
    /// A check with this tag must be Healthy for /health to answer 200: Degraded means "not ready yet" for it, while
    /// other checks' Degraded (e.g. the post service's view of the user service) still answers 200.
    /// </summary>
    public const string RequiredForReadinessTag = "required-for-readiness";

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        if (report.Entries.Values.Any(entry => entry.Status != HealthStatus.Healthy && entry.Tags.Contains(RequiredForReadinessTag)))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new HealthReportResponse(
            report.Status.ToString(),
            report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new HealthCheckEntryResponse(entry.Value.Status.ToString())));
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthReportJson.Options, context.RequestAborted);
    }
}

public sealed record HealthReportResponse(string Status, Dictionary<string, HealthCheckEntryResponse> Checks);

public sealed record HealthCheckEntryResponse(string Status);

public static class HealthReportJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
