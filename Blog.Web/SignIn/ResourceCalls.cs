using System.Net;
using System.Net.Http.Headers;

namespace Blog.Web.SignIn;

/// <summary>
/// One rule for every call to a resource (the post service, the user service's account API): the person's token for
/// that resource; a refused token (401) is refreshed once, and refused again (or not refreshable) the login is over
/// (<see cref="SessionEndedException"/>); no answer or a 5xx is <see cref="ServiceUnavailableException"/>.
/// </summary>
public static class ResourceCalls
{
    public static async Task<HttpResponseMessage> SendAsync(
        this HttpClient http, UserTokens tokens, string scope, string serviceName, Func<HttpRequestMessage> create, bool authenticated,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            if (authenticated)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAccessTokenAsync(scope, cancellationToken));
            }

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken);
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new ServiceUnavailableException(serviceName, exception);
            }

            if ((int)response.StatusCode >= 500)
            {
                response.Dispose();
                throw new ServiceUnavailableException(serviceName);
            }

            if (response.StatusCode != HttpStatusCode.Unauthorized || !authenticated)
            {
                return response;
            }

            response.Dispose();
            tokens.Forget(scope);
            if (attempt == 2)
            {
                throw new SessionEndedException($"You were signed out: the {serviceName} no longer accepts your sign-in (it was ended at the user service). Please sign in again.");
            }
        }
    }
}
