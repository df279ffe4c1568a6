using System.Net;
using System.Text;
using Blog.PostService.Authentication;
using Blog.PostService.Users;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Blog.UnitTests.PostService;

/// <summary>Author names: one lookup at the user service however many readers miss the same name at once, then cached.</summary>
public sealed class AuthorDirectoryTests
{
    [Fact]
    public async Task Concurrent_readers_missing_the_same_name_share_one_lookup_and_later_readers_hit_the_cache()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var userService = new FakeUserService();
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var directory = new UserServiceAuthorDirectory(
            userService,
            new ServiceTokenProvider(userService, Options.Create(new TokenValidationOptions { DirectoryClientSecret = "secret" }), TimeProvider.System),
            cache,
            TimeProvider.System,
            NullLogger<UserServiceAuthorDirectory>.Instance);

        var readers = Enumerable.Range(0, 20).Select(_ => directory.GetDisplayNamesAsync(["ada-id"], timeout.Token)).ToList();
        await userService.LookupStarted.Task.WaitAsync(timeout.Token);
        userService.ReleaseLookup.SetResult();
        var answers = await Task.WhenAll(readers).WaitAsync(timeout.Token);

        Assert.All(answers, names => Assert.Equal("Ada", names["ada-id"]));
        Assert.Equal("Ada", (await directory.GetDisplayNamesAsync(["ada-id", "ada-id"], timeout.Token))["ada-id"]);
        Assert.Equal(1, userService.Lookups);
    }

    /// <summary>The user service's token endpoint and user lookup; the lookup answers once released.</summary>
    private sealed class FakeUserService : HttpMessageHandler, IHttpClientFactory
    {
        private int _lookups;

        public int Lookups => Volatile.Read(ref _lookups);

        public TaskCompletionSource LookupStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseLookup { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HttpClient CreateClient(string name) => new(this, disposeHandler: false) { BaseAddress = new Uri("http://userservice/") };

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath == "/connect/token")
            {
                return Json("""{"access_token":"service-token","token_type":"Bearer","expires_in":3600}""");
            }

            Interlocked.Increment(ref _lookups);
            LookupStarted.TrySetResult();
            await ReleaseLookup.Task.WaitAsync(cancellationToken);
            return Json("""[{"id":"ada-id","displayName":"Ada"}]""");
        }

        private static HttpResponseMessage Json(string body)
            => new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    }
}
