using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.ServiceDefaults.OAuth;
using Blog.Web.SignIn;
using Microsoft.AspNetCore.Mvc;

namespace Blog.Web.Posts;

/// <summary>
/// The post service's API over service discovery, with the signed-in person's token (scope posts) when there is one
/// (<see cref="ResourceCalls"/>: refusals and outages).
/// </summary>
public sealed class PostServiceClient(HttpClient http, UserTokens tokens)
{
    public const string ServiceName = "post service";

    public async Task<PostPageView> ListPublishedAsync(int page, string? author, string? tag, CancellationToken cancellationToken)
    {
        var query = $"/api/posts?page={page}&pageSize=10"
            + (string.IsNullOrEmpty(author) ? "" : "&author=" + Uri.EscapeDataString(author))
            + (string.IsNullOrEmpty(tag) ? "" : "&tag=" + Uri.EscapeDataString(tag));
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, query), authenticated: false, cancellationToken);
        return await ReadAsync<PostPageView>(response, cancellationToken) ?? new PostPageView([], page, 10, false);
    }

    public async Task<PostPageView> ListMineAsync(int page, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"/api/posts/mine?page={page}&pageSize=20"), authenticated: true, cancellationToken);
        return await ReadAsync<PostPageView>(response, cancellationToken) ?? new PostPageView([], page, 20, false);
    }

    /// <summary>One post, or null when it does not exist or is someone else's draft.</summary>
    public async Task<PostView?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"/api/posts/{id}"), tokens.IsSignedIn, cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync<PostView>(response, cancellationToken);
    }

    public Task<WriteOutcome<PostView>> CreateAsync(PostDraft draft, CancellationToken cancellationToken)
        => WriteAsync<PostView>(() => new HttpRequestMessage(HttpMethod.Post, "/api/posts")
        {
            Content = JsonContent.Create(new { title = draft.Title, body = draft.Body, tags = draft.TagList }),
        }, cancellationToken);

    public Task<WriteOutcome<PostView>> UpdateAsync(Guid id, PostDraft draft, uint version, CancellationToken cancellationToken)
        => WriteAsync<PostView>(() => new HttpRequestMessage(HttpMethod.Put, $"/api/posts/{id}")
        {
            Content = JsonContent.Create(new { title = draft.Title, body = draft.Body, tags = draft.TagList, version }),
        }, cancellationToken);

    public Task<WriteOutcome<PostView>> PublishAsync(Guid id, uint version, CancellationToken cancellationToken)
        => WriteAsync<PostView>(() => new HttpRequestMessage(HttpMethod.Post, $"/api/posts/{id}/publish?version={version}"), cancellationToken);

    public Task<WriteOutcome<object>> DeleteAsync(Guid id, uint version, CancellationToken cancellationToken)
        => WriteAsync<object>(() => new HttpRequestMessage(HttpMethod.Delete, $"/api/posts/{id}?version={version}"), cancellationToken);

    private async Task<WriteOutcome<T>> WriteAsync<T>(Func<HttpRequestMessage> request, CancellationToken cancellationToken) where T : class
    {
        using var response = await SendAsync(request, authenticated: true, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            var value = response.StatusCode == HttpStatusCode.NoContent ? null : await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
            return new WriteOutcome<T>(value, (int)response.StatusCode, new Dictionary<string, string[]>(), null);
        }

        var problem = await ReadProblemAsync(response, cancellationToken);
        return new WriteOutcome<T>(null, (int)response.StatusCode, problem?.Errors.AsReadOnly() ?? new Dictionary<string, string[]>().AsReadOnly(), problem?.Detail);
    }

    private Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, bool authenticated, CancellationToken cancellationToken)
        => http.SendAsync(tokens, BlogScopes.Posts, ServiceName, create, authenticated, cancellationToken);

    private static async Task<T?> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            return default;
        }

        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
    }

    private static async Task<ValidationProblemDetails?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Json, cancellationToken);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
