using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Blog.ServiceDefaults.Health;

/// <summary>Writes a health report as <c>{ status, checks: { name: { status, description } } }</c>.</summary>
public static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new HealthReportResponse(
            report.Status.ToString(),
            report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new HealthCheckEntryResponse(entry.Value.Status.ToString(), entry.Value.Description)));
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthReportJson.Options, context.RequestAborted);
    }
}

public sealed record HealthReportResponse(string Status, Dictionary<string, HealthCheckEntryResponse> Checks);

public sealed record HealthCheckEntryResponse(string Status, string? Description);

public static class HealthReportJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
