using Blog.PostService.Authentication;
using Blog.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.PostService.Diagnostics;

/// <summary>
/// The floor of a Redis hit: one round trip to Redis per request through the same connection the token cache uses,
/// reading the same entry (about a kilobyte) with a plain GET, answered with its length. What a Redis hit costs above
/// this is Blog's own (the read script with the revocation markers, the seal, the principal). Mapped only when
/// <see cref="DiagnosticsOptions.RedisLimitEndpoint"/> is on (the benchmark sets it); otherwise the path answers 404.
/// </summary>
public static class RedisLimitApi
{
    /// <summary>
    /// Where the request carries its token ("Bearer ..."): not Authorization, so that the request is not authenticated.
    /// The benchmark's many-token baseline sends its tokens in the same header.
    /// </summary>
    public const string TokenHeader = "X-Benchmark-Token";

    public static IEndpointRouteBuilder MapRedisLimitApi(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<DiagnosticsOptions>>().Value.RedisLimitEndpoint)
        {
            return app;
        }

        app.MapGet("/api/ping/redis", GetAsync)
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<Ok<RedisLimitResponse>, ProblemHttpResult>> GetAsync(
        HttpRequest request, IConnectionMultiplexer redis, IOptions<TokenValidationOptions> options)
    {
        if (!BearerRequest.TryReadToken(request.Headers[TokenHeader], out var token))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No token",
                detail: $"Send a token as \"Bearer ...\" in {TokenHeader}.");
        }

        var value = await redis.GetDatabase()
            .StringGetAsync(TokenHash.Compute(token).ToCacheKey(options.Value.CacheKeyPrefix))
            .WaitAsync(options.Value.RedisTimeout);
        return TypedResults.Ok(new RedisLimitResponse(value.HasValue ? ((byte[])value!).Length : 0));
    }

    /// <summary>The length of the entry read (0: none).</summary>
    public sealed record RedisLimitResponse(int Bytes);
}
