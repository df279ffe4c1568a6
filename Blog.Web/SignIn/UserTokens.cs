using System.Security.Claims;
using Blog.Web.Extensions;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Client;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.Web.SignIn;

/// <summary>
/// The signed-in person's access token for one resource (scope <c>posts</c> for the post service, <c>account</c> for
/// the user service): one token per resource, minted from the session's refresh token and refreshed before it expires.
/// </summary>
public sealed class UserTokens(
    IHttpContextAccessor http,
    WebSessions sessions,
    OpenIddictClientService client,
    TimeProvider clock,
    IOptions<BlogWebOptions> options)
{
    public const string SessionClaim = "blog_session";

    public bool IsSignedIn => http.HttpContext?.User.Identity?.IsAuthenticated == true;

    public async Task<string> GetAccessTokenAsync(string scope, CancellationToken cancellationToken)
    {
        var session = sessions.Find(http.HttpContext?.User.FindFirstValue(SessionClaim))
            ?? throw new SessionEndedException("Your session here ended. Please sign in again.");
        if (Fresh(session, scope) is { } token)
        {
            return token;
        }

        await session.Gate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(session, scope) is { } refreshedMeanwhile)
            {
                return refreshedMeanwhile;
            }

            var result = await client.AuthenticateWithRefreshTokenAsync(new()
            {
                RefreshToken = session.RefreshToken,
                Scopes = [scope],
                // A token for one resource only may lack openid: the claims are known since sign-in.
                DisableUserInfo = true,
                CancellationToken = cancellationToken,
            });
            session.RefreshToken = result.RefreshToken ?? session.RefreshToken;
            var expiresAt = result.AccessTokenExpirationDate ?? clock.GetUtcNow().AddMinutes(5);
            session.AccessTokens[scope] = (result.AccessToken, expiresAt);
            return result.AccessToken;
        }
        catch (OpenIddictExceptions.ProtocolException exception) when (exception.Error is Errors.InvalidGrant or Errors.InvalidToken)
        {
            sessions.End(session.Id);
            throw new SessionEndedException("You were signed out: your access to Blog was ended at the user service (signed out everywhere, access withdrawn or password changed). Please sign in again.");
        }
        catch (Exception exception) when (exception is OpenIddictExceptions.ProtocolException or HttpRequestException or OperationCanceledException
            && !cancellationToken.IsCancellationRequested)
        {
            throw new ServiceUnavailableException("user service", exception);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>Forgets a token the resource refused, so the next call refreshes (or finds the login over).</summary>
    public void Forget(string scope)
    {
        if (sessions.Find(http.HttpContext?.User.FindFirstValue(SessionClaim)) is { } session)
        {
            session.AccessTokens.TryRemove(scope, out _);
        }
    }

    private string? Fresh(WebSession session, string scope)
        => session.AccessTokens.TryGetValue(scope, out var entry) && entry.ExpiresAt - options.Value.RefreshBeforeExpiry > clock.GetUtcNow()
            ? entry.Token
            : null;
}
