using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Caching.Memory;

namespace Blog.PostService.Users;

/// <summary>Display names of post authors, by user id.</summary>
public interface IAuthorDirectory
{
    /// <summary>
    /// The names it could find; never throws for the user service's sake: an unknown id or an unreachable user service
    /// just leaves names out (posts are served without them).
    /// </summary>
    Task<IReadOnlyDictionary<string, string>> GetDisplayNamesAsync(IReadOnlyCollection<string> userIds, CancellationToken cancellationToken);
}

/// <summary>
/// Asks the user service's service API in one batch per page, with a brief in-process cache per id. A failure makes it
/// skip the user service for a few seconds, so an outage costs reads nothing but the names.
/// </summary>
public sealed partial class UserServiceAuthorDirectory(
    IHttpClientFactory httpClientFactory,
    ServiceTokenProvider tokens,
    IMemoryCache cache,
    TimeProvider timeProvider,
    ILogger<UserServiceAuthorDirectory> logger) : IAuthorDirectory
{
    private static readonly TimeSpan NameLifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LookupBudget = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PauseAfterFailure = TimeSpan.FromSeconds(5);
    private long _pausedUntilTicks;

    public async Task<IReadOnlyDictionary<string, string>> GetDisplayNamesAsync(IReadOnlyCollection<string> userIds, CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var id in userIds.Distinct(StringComparer.Ordinal))
        {
            if (cache.TryGetValue(CacheKey(id), out string? name) && name is not null)
            {
                names[id] = name;
            }
            else
            {
                missing.Add(id);
            }
        }

        if (missing.Count == 0 || timeProvider.GetUtcNow().UtcTicks < Interlocked.Read(ref _pausedUntilTicks))
        {
            return names;
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(LookupBudget);
        try
        {
            foreach (var user in await LookupAsync(missing, budget.Token))
            {
                names[user.Id] = user.DisplayName;
                cache.Set(CacheKey(user.Id), user.DisplayName, NameLifetime);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or InvalidOperationException or System.Text.Json.JsonException
                                          && !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Exchange(ref _pausedUntilTicks, (timeProvider.GetUtcNow() + PauseAfterFailure).UtcTicks);
            LogLookupFailed(exception, missing.Count);
        }

        return names;
    }

    private async Task<IReadOnlyList<UserSummary>> LookupAsync(List<string> ids, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/users/lookup")
            {
                Content = JsonContent.Create(new LookupRequest(ids)),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetTokenAsync(cancellationToken));
            using var client = httpClientFactory.CreateClient(UserServiceClientExtensions.ClientName);
            using var response = await client.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 1)
            {
                tokens.Invalidate();
                continue;
            }

            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<List<UserSummary>>(cancellationToken) ?? [];
        }
    }

    private static string CacheKey(string userId) => $"author-name:{userId}";

    [LoggerMessage(LogLevel.Warning, "Author names unavailable from the user service for {Count} authors; serving posts without them")]
    private partial void LogLookupFailed(Exception exception, int count);

    private sealed record LookupRequest(IReadOnlyList<string> Ids);

    private sealed record UserSummary(string Id, string DisplayName);
}
