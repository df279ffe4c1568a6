using Microsoft.Extensions.Options;

namespace Blog.PostService.Authentication;

/// <summary>
/// The user service's discovery document names its endpoints under the public issuer URL, which clients outside the
/// application reach. This service sends those requests to the back channel (the service-discovery name) instead, so
/// it never depends on the public URL resolving where it runs; the issuer it checks stays the public one.
/// </summary>
internal sealed class BackChannelHandler(IOptions<TokenValidationOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (request.RequestUri is { IsAbsoluteUri: true } target && settings.Issuer is { } issuer
            && Uri.Compare(target, issuer, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
        {
            request.RequestUri = new UriBuilder(target)
            {
                Scheme = settings.BackChannel.Scheme,
                Host = settings.BackChannel.Host,
                Port = settings.BackChannel.Port,
            }.Uri;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
