using System.Security.Claims;

namespace Blog.PostService.Diagnostics;

/// <summary>
/// The smallest endpoints the service has, so a benchmark can measure what authentication costs per request with
/// nothing else on the path: no database, no user service, a few bytes of response. Both are harmless to expose.
/// </summary>
public static class PingApi
{
    public static RouteGroupBuilder MapPingApi(this IEndpointRouteBuilder app)
    {
        var ping = app.MapGroup("/api/ping").WithTags("Diagnostics");

        ping.MapGet("/", () => TypedResults.Text("pong"))
            .AllowAnonymous()
            .WithName("Ping")
            .WithSummary("Anonymous: answers \"pong\" (the limit of the service, without authentication).");
        ping.MapGet("/me", (ClaimsPrincipal user) => TypedResults.Text(user.Identity?.Name ?? ""))
            .RequireAuthorization()
            .WithName("PingMe")
            .WithSummary("Authenticated: answers the caller's name (the same endpoint, paying for token validation).");

        return ping;
    }
}
