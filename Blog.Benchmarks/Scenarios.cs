namespace Blog.Benchmarks;

/// <summary>
/// The load scenarios in the order one round runs them. The variants of one question run back to back in
/// every round, so a disturbance of the machine hits them alike; rounds repeat the whole list (interleaving).
/// </summary>
public static class Scenarios
{
    public const string PingAnonymous = "ping-anonymous";
    public const string PingMemory = "ping-memory";
    public const string PingRedis = "ping-redis";
    public const string PingUncached = "ping-uncached";
    public const string ReadAnonymous = "read-anonymous";
    public const string ReadMemory = "read-memory";
    public const string MineMemory = "mine-memory";
    public const string MineRedis = "mine-redis";
    public const string MineUncached = "mine-uncached";
    public const string ReadLimit = "read-limit";
    public const string ReadPage = "read-page";
    public const string PasswordGrant = "password-grant";
    public const string Introspection = "introspection";
    public const string IntrospectionFullCheck = "introspection-pbkdf2";
    public const string WebPostsApi = "web-posts-api";
    public const string WebPosts = "web-posts";
    public const string ManyAnonymous = "many-anonymous";
    public const string ManyMemory = "many-memory";
    public const string ManyRedis = "many-redis";
    public const string ManyRedisFloor = "many-redis-floor";

    /// <summary>The scenarios that need the many tokens (minted, then introduced by the cold start, before the rounds).</summary>
    public static readonly IReadOnlySet<string> ManyTokenKeys = new HashSet<string> { ManyAnonymous, ManyMemory, ManyRedis, ManyRedisFloor };

    /// <summary>
    /// A header authentication ignores: the many-tokens baseline sends the same bytes the same way, unauthenticated, and
    /// the Redis floor reads its token from it (the post service's RedisLimitApi.TokenHeader).
    /// </summary>
    public const string IgnoredTokenHeader = "X-Benchmark-Token";

    public const int PasswordGrantConnections = 4;

    /// <summary>The page size of Blog.Web's published-posts page (its PostServiceClient asks for this many).</summary>
    public const int WebPageSize = 10;

    /// <param name="introspectionForm">The post service's introspection request for the account's token (its client and secret).</param>
    /// <param name="manyTokens">Distinct valid tokens of the account for the many-tokens rows (none: those rows are left out).</param>
    public static IReadOnlyList<Scenario> Create(
        IReadOnlyDictionary<string, ServiceInstance> instances, BenchmarkAccount account, string introspectionForm, IReadOnlyList<string>? manyTokens = null)
    {
        Uri Url(string instance, string path) => new(instances[instance].Address, path);
        var token = account.AccessToken;
        var post = $"/api/posts/{account.PublishedPostId}";
        return
        [
            new(PingAnonymous, "minimal", "GET /api/ping, no auth (the limit)", BlogUnderTest.PostService, new(Url(BlogUnderTest.PostService, "/api/ping")), PingAnonymous),
            new(PingMemory, "minimal", "GET /api/ping/me, token, in-process hit", BlogUnderTest.PostService, new(Url(BlogUnderTest.PostService, "/api/ping/me"), BearerToken: token), PingAnonymous),
            new(PingRedis, "minimal", "GET /api/ping/me, token, Redis hit (in-process level off)", BlogUnderTest.PostServiceRedisOnly, new(Url(BlogUnderTest.PostServiceRedisOnly, "/api/ping/me"), BearerToken: token), PingAnonymous),
            new(PingUncached, "minimal", "GET /api/ping/me, token, cache off (introspection per request)", BlogUnderTest.PostServiceUncached, new(Url(BlogUnderTest.PostServiceUncached, "/api/ping/me"), BearerToken: token), PingAnonymous),
            new(ReadAnonymous, "read", "GET /api/posts/{id} (published), no auth", BlogUnderTest.PostService, new(Url(BlogUnderTest.PostService, post)), ReadAnonymous),
            new(ReadMemory, "read", "GET /api/posts/{id} (published), token, in-process hit", BlogUnderTest.PostService, new(Url(BlogUnderTest.PostService, post), BearerToken: token), ReadAnonymous),
            new(MineMemory, "read", "GET /api/posts/mine, token, in-process hit", BlogUnderTest.PostService, new(Url(BlogUnderTest.PostService, "/api/posts/mine"), BearerToken: token), ReadAnonymous),
            new(MineRedis, "read", "GET /api/posts/mine, token, Redis hit", BlogUnderTest.PostServiceRedisOnly, new(Url(BlogUnderTest.PostServiceRedisOnly, "/api/posts/mine"), BearerToken: token), ReadAnonymous),
            new(MineUncached, "read", "GET /api/posts/mine, token, cache off", BlogUnderTest.PostServiceUncached, new(Url(BlogUnderTest.PostServiceUncached, "/api/posts/mine"), BearerToken: token), ReadAnonymous),
            // The same post by id through one bare Npgsql command (no EF Core, no author name): what the database allows.
            new(ReadLimit, "limit", "GET /api/ping/posts/{id}, bare Npgsql command, no auth (the database's limit)", BlogUnderTest.PostService, new(Url(BlogUnderTest.PostService, $"/api/ping/posts/{account.PublishedPostId}")), ReadLimit),
            new(ReadPage, "limit", $"GET /api/posts (a page of {BenchmarkAccount.PageSize} published posts), no auth", BlogUnderTest.PostService, new(Url(BlogUnderTest.PostService, "/api/posts")), ReadLimit),
            // The web front end's published-posts page (signed out) beside the post service's call it makes for it (the
            // same query, a page of 10): what rendering the page and the extra hop add.
            new(WebPostsApi, "web", $"GET /api/posts?page=1&pageSize={WebPageSize}, no auth (the call the page makes)", BlogUnderTest.PostService,
                new(Url(BlogUnderTest.PostService, $"/api/posts?page=1&pageSize={WebPageSize}")), WebPostsApi),
            new(WebPosts, "web", "Blog.Web GET / (the published-posts page, signed out)", BlogUnderTest.Web, new(Url(BlogUnderTest.Web, "/")), WebPostsApi),
            // Each grant costs the user service tens of milliseconds of CPU (password hashing, signing and encrypting
            // the token, storing the refresh token): 32 connections would only measure a queue. Four saturate it.
            new(PasswordGrant, "issuance", "POST /connect/token, password grant", BlogUnderTest.UserService,
                new(Url(BlogUnderTest.UserService, "/connect/token"), "POST", FormBody: account.PasswordGrantForm), null) { Connections = PasswordGrantConnections },
            // What one uncached token costs the user service: the client authenticated, the token decrypted and looked
            // up. At the run's connections (32), as the issue measured "today's rate": with the secret check remembered
            // an introspection waits on the database more than it computes, and 4 connections left a core idle.
            new(Introspection, "issuance", "POST /connect/introspect, the post service's client (client_secret_post)", BlogUnderTest.UserService,
                new(Url(BlogUnderTest.UserService, "/connect/introspect"), "POST", FormBody: introspectionForm), null),
            // The same request as before the performance round: the client read from the database and its secret
            // checked in full (PBKDF2) every time. The goal is a ratio of the two, measured back to back.
            new(IntrospectionFullCheck, "issuance", "POST /connect/introspect, as before: client read and secret checked in full (PBKDF2) every time", BlogUnderTest.UserServiceFullSecretCheck,
                new(Url(BlogUnderTest.UserServiceFullSecretCheck, "/connect/introspect"), "POST", FormBody: introspectionForm), null),
            // Many distinct tokens, one per request in turn (each wrk thread its own share): no two requests in flight
            // share a token, so nothing coalesces, and the in-process level holds one entry per token. The baseline is
            // sent the same way (a per-request Lua function, the same bytes) in a header the service ignores.
            .. (manyTokens is { Count: > 0 } tokens
                ? (Scenario[])
                [
                    new(ManyAnonymous, "many tokens", $"GET /api/ping, no auth, {tokens.Count:N0} tokens in an ignored header (the limit)", BlogUnderTest.PostService,
                        new(Url(BlogUnderTest.PostService, "/api/ping"), Tokens: tokens, TokenHeader: IgnoredTokenHeader), ManyAnonymous),
                    new(ManyMemory, "many tokens", $"GET /api/ping/me, {tokens.Count:N0} tokens, in-process hit", BlogUnderTest.PostService,
                        new(Url(BlogUnderTest.PostService, "/api/ping/me"), Tokens: tokens), ManyAnonymous),
                    new(ManyRedis, "many tokens", $"GET /api/ping/me, {tokens.Count:N0} tokens, Redis hit (in-process level off)", BlogUnderTest.PostServiceRedisOnly,
                        new(Url(BlogUnderTest.PostServiceRedisOnly, "/api/ping/me"), Tokens: tokens), ManyAnonymous),
                    // The floor of a Redis hit: one plain GET of the same entry per request through the same connection,
                    // nothing else (no script, seal, marker or authentication).
                    new(ManyRedisFloor, "many tokens", $"GET /api/ping/redis, {tokens.Count:N0} tokens in the ignored header, one plain Redis GET of the token's entry, no auth (the floor of a Redis hit)", BlogUnderTest.PostServiceRedisOnly,
                        new(Url(BlogUnderTest.PostServiceRedisOnly, "/api/ping/redis"), Tokens: tokens, TokenHeader: IgnoredTokenHeader), ManyAnonymous),
                ]
                : []),
        ];
    }
}
