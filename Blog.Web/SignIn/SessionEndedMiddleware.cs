using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Blog.Web.SignIn;

/// <summary>
/// A page that finds the person's login over (<see cref="SessionEndedException"/>) signs them out here and shows why,
/// instead of failing: the next page after a revocation, not the end of a 15-minute token.
/// </summary>
public sealed class SessionEndedMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, WebSessions sessions)
    {
        try
        {
            await next(context);
        }
        catch (SessionEndedException) when (!context.Response.HasStarted)
        {
            sessions.End(context.User.FindFirst(UserTokens.SessionClaim)?.Value);
            context.Response.Clear();
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = $"{SignInEndpoints.SignedOutPath}?reason=ended";
        }
    }
}
