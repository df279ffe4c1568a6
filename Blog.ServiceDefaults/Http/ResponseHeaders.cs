using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Blog.ServiceDefaults.Http;

/// <summary>Endpoint metadata: the answer is personal or a credential, so no cache may keep it.</summary>
public sealed class NoStoreMetadata
{
    public static readonly NoStoreMetadata Instance = new();
}

/// <summary>The headers every answer of a Blog service carries.</summary>
public static class ResponseHeaders
{
    /// <summary>
    /// <c>X-Content-Type-Options: nosniff</c> on every answer (a browser must not run a JSON body as a script), and
    /// <c>Cache-Control: no-store</c> on the answers of endpoints marked <see cref="WithNoStore{TBuilder}"/>, whatever
    /// their status (a 401 of such an endpoint included). Set when the answer starts, so that nothing the pipeline does
    /// before (an exception handler clearing the headers) loses them.
    /// </summary>
    public static IApplicationBuilder UseBlogResponseHeaders(this IApplicationBuilder app)
        => app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var http = (HttpContext)state;
                http.Response.Headers.XContentTypeOptions = "nosniff";
                if (http.GetEndpoint()?.Metadata.GetMetadata<NoStoreMetadata>() is not null)
                {
                    http.Response.Headers.CacheControl = "no-store";
                    http.Response.Headers.Pragma = "no-cache";
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });

    /// <summary>Marks the endpoints' answers as not to be stored by any cache (RFC 9111 section 5.2.2.5).</summary>
    public static TBuilder WithNoStore<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(NoStoreMetadata.Instance);
}
