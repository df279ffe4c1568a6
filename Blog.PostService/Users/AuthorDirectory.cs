using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Blog.PostService.Authentication;
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
/// skip the user service for a few seconds, so an outage costs reads nothing but the names. Concurrent readers missing
/// the same names share one lookup (when a popular author's name expires, every reader in flight misses it at once).
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
    private static readonly IReadOnlyDictionary<string, string> NoNames = new Dictionary<string, string>(StringComparer.Ordinal);
    private readonly SingleFlight<IReadOnlyList<UserSummary>> _lookups = new();
    private long _pausedUntilTicks;

    public Task<IReadOnlyDictionary<string, string>> GetDisplayNamesAsync(IReadOnlyCollection<string> userIds, CancellationToken cancellationToken)
    {
        // Every read asks for names: when all are cached (nearly always), no state machine, no list, no key string.
        Dictionary<string, string>? names = null;
        List<string>? missing = null;
        foreach (var id in userIds)
        {
            if (cache.TryGetValue(new NameKey(id), out string? name) && name is not null)
            {
                (names ??= new Dictionary<string, string>(StringComparer.Ordinal))[id] = name;
            }
            else if (missing is null || !missing.Contains(id, StringComparer.Ordinal))
            {
                (missing ??= []).Add(id);
            }
        }

        if (missing is null || timeProvider.GetUtcNow().UtcTicks < Interlocked.Read(ref _pausedUntilTicks))
        {
            return Task.FromResult(names ?? NoNames);
        }

        return LookUpMissingAsync(names ?? new Dictionary<string, string>(StringComparer.Ordinal), missing, cancellationToken);
    }

    private async Task<IReadOnlyDictionary<string, string>> LookUpMissingAsync(
        Dictionary<string, string> names, List<string> missing, CancellationToken cancellationToken)
    {
        try
        {
            var (users, _) = await _lookups.RunAsync(string.Join('\n', missing), async () =>
            {
                // Bounded by the budget alone, not by the request that started it: others may be waiting for it (each
                // under its own token), and a reader who went away must not make it fail for them.
                using var budget = new CancellationTokenSource(LookupBudget, timeProvider);
                var found = await LookupAsync(missing, budget.Token);
                foreach (var user in found)
                {
                    cache.Set(new NameKey(user.Id), user.DisplayName, NameLifetime);
                }

                return found;
            }, cancellationToken);
            foreach (var user in users)
            {
                names[user.Id] = user.DisplayName;
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

    /// <summary>The cache key of a user's display name (its own type: no other entry of the shared cache can equal it).</summary>
    private readonly record struct NameKey(string UserId);

    [LoggerMessage(LogLevel.Warning, "Author names unavailable from the user service for {Count} authors; serving posts without them")]
    private partial void LogLookupFailed(Exception exception, int count);

    private sealed record LookupRequest(IReadOnlyList<string> Ids);

    private sealed record UserSummary(string Id, string DisplayName);
}
