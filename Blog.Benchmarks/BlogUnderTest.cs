using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Blog.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Blog.AppHost.Infrastructure;

namespace Blog.Benchmarks;

/// <summary>A running service instance: its own address (not Aspire's proxy) and its process.</summary>
public sealed record ServiceInstance(string Name, string ResourceId, Uri Address, int? ProcessId, string Settings);

/// <summary>
/// Blog started through its own AppHost in local mode on a throw-away data directory, plus two more post-service
/// instances that differ only in the cache switches, so that every variant runs in the same application, against the
/// same user service, PostgreSQL and Redis, and the variants can be interleaved (settings are fixed per process).
/// </summary>
public sealed class BlogUnderTest() : BlogApplication("blog-bench")
{
    public const string UserService = BlogResources.UserService;
    public const string PostService = BlogResources.PostService;
    public const string Web = BlogResources.Web;
    public const string PostServiceRedisOnly = "postservice-redis";
    public const string PostServiceUncached = "postservice-nocache";

    /// <summary>A second user service as before the performance round: the client read and its secret checked in full (PBKDF2) on every request.</summary>
    public const string UserServiceFullSecretCheck = "userservice-pbkdf2";

    private const string FullSecretCheckSettings = "AuthorizationServer:ClientSecretCheckMemory=00:00:00, ClientLookupMemory=00:00:00";

    private const string EntryLifetime = "00:15:00";

    private static readonly Dictionary<string, (string Settings, (string Name, string Value)[] Environment)> PostServiceVariants = new()
    {
        // The floor of a Redis hit is measured on the instance that makes Redis hits (the endpoint is off unless set).
        [PostServiceRedisOnly] = ("Authentication:MemoryCacheEnabled=false, Diagnostics:RedisLimitEndpoint=true",
            [("Authentication__MemoryCacheEnabled", "false"), ("Diagnostics__RedisLimitEndpoint", "true")]),
        [PostServiceUncached] = ("Authentication:CacheEnabled=false", [("Authentication__CacheEnabled", "false")]),
    };

    /// <summary>The introspection lines of each instance, by resource id.</summary>
    private readonly Dictionary<string, ResourceLogWatcher> _introspections = [];

    public IReadOnlyDictionary<string, ServiceInstance> Instances { get; private set; } = new Dictionary<string, ServiceInstance>();

    public static async Task<BlogUnderTest> StartAsync(CancellationToken cancellationToken)
    {
        var blog = new BlogUnderTest();
        var builder = await blog.CreateBuilderAsync(
        [
            // The benchmark is one client address sending far more token requests than a person would.
            // (100000 is the most the setting allows; per window of 10 s in Development, far above what this sends.)
            "--ServiceSettings:userservice:RateLimiting:TokenEndpoint:PermitLimit=100000",
            // The bare Npgsql read the real reads are measured against (off unless set).
            "--ServiceSettings:postservice:Diagnostics:DatabaseLimitEndpoint=true",
            // The many tokens are introduced once, before the rounds: their entries must outlive a full run (an access
            // token's life, 15 min, still bounds each entry). The variants get the same setting below.
            $"--ServiceSettings:postservice:Authentication:CacheMaxLifetime={EntryLifetime}",
        ], cancellationToken);
        // The resources' own output is not echoed (PostgreSQL alone writes pages to stderr); a failure prints its tail.
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Aspire.Hosting", LogLevel.Warning)
            .AddFilter("Blog.AppHost.Resources", LogLevel.None)
            // Health checks fail by design while the application stops at the end.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));

        foreach (var (name, variant) in PostServiceVariants)
        {
            AddPostServiceVariant(builder, name, variant.Environment);
        }

        AddUserServiceVariant(builder, UserServiceFullSecretCheck,
            [("AuthorizationServer__ClientSecretCheckMemory", "00:00:00"), ("AuthorizationServer__ClientLookupMemory", "00:00:00")]);

        try
        {
            // No dashboard runs here to export telemetry to (as in the tests' fixture); the services still record it.
            var app = await blog.BuildAsync(builder, cancellationToken);
            var names = new[] { UserService, PostService, PostServiceRedisOnly, PostServiceUncached, UserServiceFullSecretCheck, Web };
            using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var failure = WatchForFailureAsync(app, failed.Token);
            var healthy = Task.Run(async () =>
            {
                await app.StartAsync(failed.Token);
                foreach (var name in names)
                {
                    await app.ResourceNotifications.WaitForResourceHealthyAsync(name, failed.Token);
                }
            }, failed.Token);
            if (await Task.WhenAny(healthy, failure) == failure)
            {
                await failed.CancelAsync();
                throw new InvalidOperationException(await failure);
            }

            await failed.CancelAsync();
            await healthy;

            var instances = new Dictionary<string, ServiceInstance>();
            foreach (var name in names)
            {
                instances[name] = await blog.DescribeAsync(name, cancellationToken);
                blog.WatchIntrospections(instances[name].ResourceId);
            }

            blog.Instances = instances;
            return blog;
        }
        catch
        {
            await blog.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Completes with a description when a resource stops or fails to start before everything is healthy (waiting for
    /// health would otherwise last until the timeout), or when the wait is cancelled.
    /// </summary>
    private static async Task<string> WatchForFailureAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        string[] failedStates = [KnownResourceStates.FailedToStart, KnownResourceStates.Exited, KnownResourceStates.Finished];
        try
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync(cancellationToken))
            {
                if (update.Snapshot.State?.Text is { } state && failedStates.Contains(state) && update.Resource is ProjectResource or IResourceWithConnectionString)
                {
                    var lines = new List<string>();
                    await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(update.ResourceId).WithCancellation(cancellationToken))
                    {
                        lines.AddRange(batch.Select(line => line.Content));
                    }

                    return $"Resource {update.ResourceId} is {state} before the application was healthy. Its last output:\n{string.Join('\n', lines.TakeLast(40))}";
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Everything became healthy, or the start timed out.
        }

        return "The application did not become healthy in time.";
    }

    /// <summary>
    /// Another post service wired as the AppHost wires "postservice" (its own database and Redis logins, the user
    /// service, issuer, client secrets and cache key), plus the given settings.
    /// </summary>
    private static void AddPostServiceVariant(IDistributedApplicationTestingBuilder builder, string name, (string Name, string Value)[] environment)
    {
        var databaseLogin = builder.CreateResourceBuilder(builder.Resources.OfType<ServiceLoginResource>().Single(resource => resource.Name == "postgres-postservice"));
        var redisLogin = builder.CreateResourceBuilder(builder.Resources.OfType<ServiceLoginResource>().Single(resource => resource.Name == "redis-postservice"));
        var userService = builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == UserService));

        // The generated metadata (not a path) so that, like "postservice", it runs the build the AppHost's build made.
        var variant = builder.AddProject<Projects.Blog_PostService>(name)
            .WithLogin(databaseLogin, BlogResources.PostsDatabase)
            .WithLogin(redisLogin, BlogResources.Redis)
            .WithReference(userService).WaitFor(userService)
            .WithEnvironment("Authentication__Issuer", Blog.AppHost.Identity.IdentityParameters.IssuerOf(userService))
            .WithEnvironment("Authentication__ClientSecret", Parameter(builder, "post-service-client-secret"))
            .WithEnvironment("Authentication__DirectoryClientSecret", Parameter(builder, "post-service-directory-secret"))
            .WithEnvironment("Authentication__CacheEntryKey", Parameter(builder, "post-service-cache-key"))
            .WithEnvironment("Authentication__CacheMaxLifetime", EntryLifetime)
            .WithHttpHealthCheck("/health");
        foreach (var (variable, value) in environment)
        {
            variant.WithEnvironment(variable, value);
        }
    }

    /// <summary>
    /// Another user service wired as the AppHost wires "userservice" (its database and Redis logins, keys, client
    /// secrets, administrator, and the same issuer, so that it accepts the tokens "userservice" issues), plus the given
    /// settings. It shares the users database; the benchmark only introspects on it.
    /// </summary>
    private static void AddUserServiceVariant(IDistributedApplicationTestingBuilder builder, string name, (string Name, string Value)[] environment)
    {
        var databaseLogin = builder.CreateResourceBuilder(builder.Resources.OfType<ServiceLoginResource>().Single(resource => resource.Name == "postgres-userservice"));
        var redisLogin = builder.CreateResourceBuilder(builder.Resources.OfType<ServiceLoginResource>().Single(resource => resource.Name == "redis-userservice"));
        var userService = builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == UserService));

        var variant = builder.AddProject<Projects.Blog_UserService>(name)
            .WithLogin(databaseLogin, BlogResources.UsersDatabase)
            .WithLogin(redisLogin, BlogResources.Redis)
            .WaitFor(userService)
            .WithEnvironment("AuthorizationServer__Issuer", Blog.AppHost.Identity.IdentityParameters.IssuerOf(userService))
            .WithEnvironment("AuthorizationServer__SigningKey", Parameter(builder, "token-signing-key"))
            .WithEnvironment("AuthorizationServer__EncryptionKey", Parameter(builder, "token-encryption-key"))
            .WithEnvironment("AuthorizationServer__PostServiceClientSecret", Parameter(builder, "post-service-client-secret"))
            .WithEnvironment("AuthorizationServer__PostServiceDirectorySecret", Parameter(builder, "post-service-directory-secret"))
            .WithEnvironment("AuthorizationServer__Admin__UserName", Parameter(builder, "admin-username"))
            .WithEnvironment("AuthorizationServer__Admin__Password", Parameter(builder, "admin-password"))
            .WithHttpHealthCheck("/health");
        foreach (var (variable, value) in environment)
        {
            variant.WithEnvironment(variable, value);
        }
    }

    private static IResourceBuilder<ParameterResource> Parameter(IDistributedApplicationTestingBuilder builder, string name)
        => builder.CreateResourceBuilder(builder.Resources.OfType<ParameterResource>().Single(resource => resource.Name == name));

    private async Task<ServiceInstance> DescribeAsync(string name, CancellationToken cancellationToken)
    {
        var update = await App.ResourceNotifications.WaitForResourceAsync(
            name, candidate => candidate.Snapshot.EnvironmentVariables.Any(variable => variable.IsFromSpec && variable.Name == "ASPNETCORE_URLS"), cancellationToken);
        var urls = update.Snapshot.EnvironmentVariables.First(variable => variable.IsFromSpec && variable.Name == "ASPNETCORE_URLS").Value!;
        var address = new Uri(urls.Split(';')[0]);
        var project = name == Web ? "Blog.Web" : name.StartsWith(UserService, StringComparison.Ordinal) ? "Blog.UserService" : "Blog.PostService";
        var pid = ProcessMemory.FindByEnvironment("ASPNETCORE_URLS", urls, project);
        var settings = PostServiceVariants.TryGetValue(name, out var variant) ? variant.Settings
            : name == UserServiceFullSecretCheck ? FullSecretCheckSettings : "defaults";
        return new ServiceInstance(name, update.ResourceId, address, pid, settings);
    }

    private void WatchIntrospections(string resourceId)
        => _introspections[resourceId] = ResourceLogWatcher.StartForInstance(
            this, resourceId, line => line.Contains(PostServiceLogs.IntrospectionText, StringComparison.Ordinal));

    /// <summary>Introspections the instance logged for this token ("Introspecting token {TokenId}", one per call sent).</summary>
    public int CountIntrospections(string instanceName, string token)
        => _introspections.TryGetValue(Instances[instanceName].ResourceId, out var lines) ? lines.Count(PostServiceLogs.IntrospectionLine(token)) : 0;

    /// <summary>Every introspection the instance logged so far, whichever the token.</summary>
    public int CountIntrospections(string instanceName)
        => _introspections.TryGetValue(Instances[instanceName].ResourceId, out var lines) ? lines.Lines.Count : 0;

    public HttpClient CreateClient(string instanceName) => new() { BaseAddress = Instances[instanceName].Address, Timeout = TimeSpan.FromSeconds(30) };

    public override async ValueTask DisposeAsync()
    {
        foreach (var watcher in _introspections.Values)
        {
            await watcher.DisposeAsync();
        }

        try
        {
            if (IsBuilt)
            {
                await App.StopAsync();
            }
        }
        finally
        {
            await base.DisposeAsync();
        }
    }
}

/// <summary>The benchmark's own user, its token and a published post, made through the public APIs.</summary>
public sealed record BenchmarkAccount(string UserName, string Password, string AccessToken, Guid PublishedPostId)
{
    public const string Scopes = IdentityClient.PeopleScopes;

    public string PasswordGrantForm => string.Join('&',
        $"grant_type=password", "client_id=blog-client", $"username={Uri.EscapeDataString(UserName)}",
        $"password={Uri.EscapeDataString(Password)}", $"scope={Uri.EscapeDataString(Scopes)}");

    public static async Task<BenchmarkAccount> CreateAsync(HttpClient userService, HttpClient postService, CancellationToken cancellationToken)
    {
        var account = await RegisterAsync(userService, cancellationToken);
        var id = await account.PublishPostAsync(postService, "Benchmark post", cancellationToken);
        account = account with { PublishedPostId = id };

        // The page read needs a full page of published posts; another author writes them, so that this account's own
        // posts (GET /api/posts/mine) stay one.
        var pageAuthor = await RegisterAsync(userService, cancellationToken);
        for (var number = 1; number <= PageSize + 1; number++)
        {
            await pageAuthor.PublishPostAsync(postService, $"Benchmark page post {number}", cancellationToken);
        }

        return account;
    }

    /// <summary>Published posts the benchmark seeds for the page read: a full default page (and one more).</summary>
    public const int PageSize = 20;

    private static async Task<BenchmarkAccount> RegisterAsync(HttpClient userService, CancellationToken cancellationToken)
    {
        var userName = $"bench-{Guid.NewGuid():N}"[..20];
        var password = $"Pw-{Guid.NewGuid():N}!A1";
        using (var registered = await userService.PostAsJsonAsync("/api/account/register", new { userName, displayName = userName, email = $"{userName}@example.test", password }, cancellationToken))
        {
            await EnsureAsync(registered, "register", cancellationToken);
        }

        var account = new BenchmarkAccount(userName, password, "", Guid.Empty);
        return account with { AccessToken = await account.RequestTokenAsync(userService, cancellationToken) };
    }

    private async Task<Guid> PublishPostAsync(HttpClient postService, string title, CancellationToken cancellationToken)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/posts")
        {
            Content = JsonContent.Create(new { title, body = "A published post the read scenarios fetch.", tags = new[] { "benchmark" } }),
        };
        create.Headers.Authorization = new("Bearer", AccessToken);
        using var created = await postService.SendAsync(create, cancellationToken);
        await EnsureAsync(created, "create post", cancellationToken);
        var post = await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var id = post.GetProperty("id").GetGuid();

        using var publish = new HttpRequestMessage(HttpMethod.Post, $"/api/posts/{id}/publish?version={post.GetProperty("version").GetUInt32()}");
        publish.Headers.Authorization = new("Bearer", AccessToken);
        using var published = await postService.SendAsync(publish, cancellationToken);
        await EnsureAsync(published, "publish post", cancellationToken);
        return id;
    }

    /// <summary>A new access token of this account (password grant).</summary>
    public async Task<string> RequestTokenAsync(HttpClient userService, CancellationToken cancellationToken)
    {
        using var content = new StringContent(PasswordGrantForm, Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await userService.PostAsync("/connect/token", content, cancellationToken);
        await EnsureAsync(response, "password grant", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("access_token").GetString()!;
    }

    /// <summary>
    /// <paramref name="count"/> distinct access tokens of this account, for the many-tokens rows. A password grant costs
    /// the user service tens of milliseconds (password hashing) and is throttled per client address; a refresh costs no
    /// password hashing, so each of <paramref name="logins"/> logins (one password grant each) is refreshed in turn,
    /// each refresh spending the previous refresh token and giving a new access token (the earlier ones stay valid).
    /// </summary>
    public async Task<IReadOnlyList<string>> MintTokensAsync(HttpClient userService, int count, int logins, CancellationToken cancellationToken)
    {
        var tokens = new System.Collections.Concurrent.ConcurrentBag<string>();
        var remaining = count;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(logins, count)).Select(async _ =>
        {
            using var first = new StringContent(PasswordGrantForm, Encoding.UTF8, "application/x-www-form-urlencoded");
            var (accessToken, refreshToken) = await GrantAsync(userService, first, cancellationToken);
            while (true)
            {
                tokens.Add(accessToken);
                if (Interlocked.Decrement(ref remaining) <= 0)
                {
                    return;
                }

                using var refresh = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token", ["client_id"] = "blog-client", ["refresh_token"] = refreshToken,
                });
                (accessToken, refreshToken) = await GrantAsync(userService, refresh, cancellationToken);
            }
        }));
        return [.. tokens.Take(count)];
    }

    private static async Task<(string AccessToken, string RefreshToken)> GrantAsync(HttpClient userService, HttpContent form, CancellationToken cancellationToken)
    {
        using var response = await userService.PostAsync("/connect/token", form, cancellationToken);
        await EnsureAsync(response, "token grant", cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return (body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }
}
