using System.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Blog.PostService.Authentication;

/// <summary>
/// The one resilience layer of OpenIddict's HTTP client (ServiceDefaults' standard handler and OpenIddict's own
/// retries are removed from it): a short per-attempt timeout, few retries and a total bound, so an unreachable user
/// service costs a request a few seconds and a 503, not half a minute. It also makes introspection observable: one
/// Information line "Introspecting token {TokenId}" per introspection sent (tests count them), a trace span and
/// the duration metric. The token itself is never logged.
/// </summary>
public sealed partial class IntrospectionHttpHandler : DelegatingHandler
{
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly IntrospectionTelemetry _telemetry;
    private readonly ILogger<IntrospectionHttpHandler> _logger;

    public IntrospectionHttpHandler(IOptions<TokenValidationOptions> options, IntrospectionTelemetry telemetry, ILogger<IntrospectionHttpHandler> logger)
    {
        _pipeline = CreatePipeline(options.Value);
        _telemetry = telemetry;
        _logger = logger;
    }

    public static ResiliencePipeline<HttpResponseMessage> CreatePipeline(TokenValidationOptions options)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>().AddTimeout(options.IntrospectionTotalTimeout);
        if (options.IntrospectionRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.IntrospectionRetries,
                Delay = TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Constant,
                ShouldHandle = arguments => ValueTask.FromResult(HttpClientResiliencePredicates.IsTransient(arguments.Outcome)),
            });
        }

        return builder.AddTimeout(options.IntrospectionAttemptTimeout).Build();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var tokenId = await ReadIntrospectedTokenIdAsync(request, cancellationToken);
        if (tokenId is null)
        {
            // Discovery and anything else OpenIddict sends: same resilience, no introspection telemetry.
            return await SendWithResilienceAsync(request, cancellationToken);
        }

        LogIntrospecting(tokenId);
        using var activity = IntrospectionTelemetry.ActivitySource.StartActivity("introspect token", ActivityKind.Client);
        activity?.SetTag("blog.token.id", tokenId);
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        try
        {
            var response = await SendWithResilienceAsync(request, cancellationToken);
            outcome = response.IsSuccessStatusCode ? "success" : $"http_{(int)response.StatusCode}";
            return response;
        }
        catch (Exception exception)
        {
            // By name: Polly 7 (through OpenIddict) and Polly 8 both define TimeoutRejectedException.
            outcome = exception.GetType().Name == "TimeoutRejectedException" ? "timeout" : "error";
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            throw;
        }
        finally
        {
            activity?.SetTag("blog.introspection.outcome", outcome);
            _telemetry.IntrospectionCompleted(Stopwatch.GetElapsedTime(started), outcome);
        }
    }

    private async Task<HttpResponseMessage> SendWithResilienceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        => await _pipeline.ExecuteAsync(
            static async (state, token) => await state.Handler.SendInnerAsync(state.Request, token),
            (Handler: this, Request: request),
            cancellationToken);

    private Task<HttpResponseMessage> SendInnerAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        => base.SendAsync(request, cancellationToken);

    /// <summary>An introspection request is a form POST with a "token" field (RFC 7662); its hash identifies it.</summary>
    private static async Task<string?> ReadIntrospectedTokenIdAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Post || request.Content is not FormUrlEncodedContent content)
        {
            return null;
        }

        // Form content is buffered in memory, so reading it here leaves it intact for sending.
        var form = QueryHelpers.ParseQuery(await content.ReadAsStringAsync(cancellationToken));
        return form.TryGetValue("token", out var token) && !string.IsNullOrEmpty(token)
            ? TokenHash.Compute(token.ToString()).TokenId
            : null;
    }

    [LoggerMessage(LogLevel.Information, "Introspecting token {TokenId} at the user service")]
    private partial void LogIntrospecting(string tokenId);
}
