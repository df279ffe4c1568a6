using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Blog.Tests.PostService;
using Xunit.Abstractions;

namespace Blog.Tests.Security;

/// <summary>
/// The authorization matrix: every endpoint of both services, called by every kind of caller, answers the
/// status the security model gives. The table is the specification; every cell is a valid request for its endpoint
/// (existing ids, a valid body), so its status says who may call, nothing else. All cells run, then every cell that
/// answered otherwise is named at once. A second test keeps the table complete against both OpenAPI documents.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class AuthorizationMatrixTests(BlogAppFixture fixture, ITestOutputHelper output)
{
    private const string Users = BlogResources.UserService;
    private const string Posts = PostServiceTestContext.PostServiceName;

    // Columns (failures name them as the Caller enum does); every token is a real one from the user service. People
    // hold one token per resource, and each row uses the one meant for its service: on post-service rows the token of
    // scope posts (audience post-service), on user-service rows the token of scope account (audience user-service);
    // both with openid profile roles offline_access.
    //   anon      Anonymous          no Authorization header
    //   author    Author             a registered author (role author); owns every post below
    //   other     OtherAuthor        another registered author
    //   admin     Admin              the seeded administrator (roles admin and author)
    //   svc       PostServiceClient  the post service's client-credentials token (scope users.read, audience user-service)
    //   expired   Expired            a token of the author, of the row's kind, whose lifetime ended an hour ago (see ExpiredTokens)
    //   revoked   Revoked            a token of the author, of the row's kind, revoked at /connect/revoke before the matrix runs
    //   wrongAud  WrongAudience      the author's token for the other service: on user-service rows the post-service
    //                                token (which the post service receives, and must not be able to replay here), on
    //                                post-service rows the account token
    // Statuses: 401 no usable token where one is needed (with a Bearer challenge); 403 authenticated but lacking role,
    // scope or ownership; 404 someone else's draft (its existence is not theirs to know). Endpoints open to anonymous
    // callers ignore whatever token comes along. Every refusal has a ProblemDetails body.
    // Targets: "fresh ..." a new post or user per cell, as the cell changes or deletes it; "fresh caller" new accounts and
    // tokens per cell, as the call revokes the caller's own tokens. The author's posts and the administered user of the
    // other rows are shared, created once.
    private const string FreshCallers = "fresh caller";

    private static readonly Row[] Matrix =
    [
        //                                                                                          anon  author  other  admin  svc  expired  revoked  wrongAud
        new(Users, "POST /api/account/register",            "",                Register,          [  201,    201,   201,   201, 201,     201,     201,      201]),
        new(Users, "GET /api/account/me",                   "",                Plain,             [  401,    200,   200,   200, 403,     401,     401,      401]),
        new(Users, "POST /api/account/password",            FreshCallers,      ChangePassword,    [  401,    204,   204,   204, 403,     401,     401,      401]),
        new(Users, "POST /api/account/logout-all",          FreshCallers,      Plain,             [  401,    204,   204,   204, 403,     401,     401,      401]),
        new(Users, "GET /api/account/consents",             "",                Plain,             [  401,    200,   200,   200, 403,     401,     401,      401]),
        // Nobody's consent: a person's own would be revoked, another's is as unknown as this one.
        new(Users, "DELETE /api/account/consents/{id}",     "unknown",         UnknownConsent,    [  401,    404,   404,   404, 403,     401,     401,      401]),
        new(Users, "GET /api/admin/users",                  "",                Plain,             [  401,    403,   403,   200, 403,     401,     401,      401]),
        new(Users, "GET /api/admin/users/{id}",             "",                TargetUser,        [  401,    403,   403,   200, 403,     401,     401,      401]),
        new(Users, "PUT /api/admin/users/{id}/roles",       "fresh target",    SetRoles,          [  401,    403,   403,   200, 403,     401,     401,      401]),
        new(Users, "POST /api/admin/users/{id}/lock",       "fresh target",    FreshTargetUser,   [  401,    403,   403,   204, 403,     401,     401,      401]),
        new(Users, "POST /api/admin/users/{id}/unlock",     "",                TargetUser,        [  401,    403,   403,   204, 403,     401,     401,      401]),
        new(Users, "DELETE /api/admin/users/{id}",          "fresh target",    FreshTargetUser,   [  401,    403,   403,   204, 403,     401,     401,      401]),
        new(Users, "GET /api/users/{id}",                   "",                AuthorProfile,     [  401,    403,   403,   403, 200,     401,     401,      401]),
        new(Users, "POST /api/users/lookup",                "",                LookupProfiles,    [  401,    403,   403,   403, 200,     401,     401,      401]),
        // OpenIddict's protocol endpoints: the client authenticates in the form; a bearer token means nothing to them.
        new(Users, "POST /connect/token",                   "",                ClientCredentials, [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Users, "POST /connect/introspect",              "",                Introspect,        [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Users, "POST /connect/revoke",                  "",                Revoke,            [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Users, "GET /.well-known/openid-configuration", "",                Plain,             [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Users, "GET /.well-known/jwks",                 "",                Plain,             [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Users, "GET /health",                           "",                Plain,             [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Users, "GET /alive",                            "",                Plain,             [  200,    200,   200,   200, 200,     200,     200,      200]),

        new(Posts, "GET /api/posts",                        "",                Plain,             [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Posts, "GET /api/posts/mine",                   "",                Plain,             [  401,    200,   200,   200, 401,     401,     401,      401]),
        new(Posts, "GET /api/posts/{id}",                   "published",       PublishedPost,     [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Posts, "GET /api/posts/{id}",                   "draft",           DraftPost,         [  404,    200,   404,   200, 404,     404,     404,      404]),
        new(Posts, "POST /api/posts",                       "",                CreatePost,        [  401,    201,   201,   201, 401,     401,     401,      401]),
        new(Posts, "PUT /api/posts/{id}",                   "fresh published", UpdatePublished,   [  401,    200,   403,   200, 401,     401,     401,      401]),
        new(Posts, "PUT /api/posts/{id}",                   "fresh draft",     UpdateDraft,       [  401,    200,   404,   200, 401,     401,     401,      401]),
        new(Posts, "POST /api/posts/{id}/publish",          "fresh draft",     PublishDraft,      [  401,    200,   404,   200, 401,     401,     401,      401]),
        new(Posts, "POST /api/posts/{id}/publish",          "fresh published", PublishPublished,  [  401,    200,   403,   200, 401,     401,     401,      401]),
        new(Posts, "DELETE /api/posts/{id}",                "fresh published", DeletePublished,   [  401,    204,   403,   204, 401,     401,     401,      401]),
        new(Posts, "DELETE /api/posts/{id}",                "fresh draft",     DeleteDraft,       [  401,    204,   404,   204, 401,     401,     401,      401]),
        new(Posts, "GET /api/ping",                         "",                Plain,             [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Posts, "GET /api/ping/me",                      "",                Plain,             [  401,    200,   200,   200, 401,     401,     401,      401]),
        new(Posts, "GET /health",                           "",                Plain,             [  200,    200,   200,   200, 200,     200,     200,      200]),
        new(Posts, "GET /alive",                            "",                Plain,             [  200,    200,   200,   200, 200,     200,     200,      200]),
    ];

    /// <summary>Rows for endpoints outside the OpenAPI documents (ServiceDefaults' health endpoints).</summary>
    private static readonly HashSet<string> Undocumented = ["GET /health", "GET /alive"];

    private const int Parallelism = 4;

    [Fact]
    public async Task Every_endpoint_answers_every_kind_of_caller_as_the_security_model_says()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        using var world = await World.CreateAsync(fixture, ct);

        var cells = Matrix.SelectMany(row => Enum.GetValues<Caller>().Select(caller => (Row: row, Caller: caller))).ToList();
        var outcomes = new ConcurrentDictionary<(Row, Caller), Outcome>();
        await Parallel.ForEachAsync(cells, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (cell, cancellationToken) => outcomes[cell] = await RunAsync(world, cell.Row, cell.Caller, cancellationToken));

        var failures = new List<string>();
        foreach (var (row, caller) in cells)
        {
            var outcome = outcomes[(row, caller)];
            var expected = row.Expected[(int)caller];
            var cell = $"{row.Service} {row.Endpoint}{(row.Target.Length > 0 ? $" [{row.Target}]" : "")} x {caller}";
            if (outcome.Status != expected)
            {
                failures.Add($"{cell}: expected {expected}, got {outcome.Describe()}");
            }
            else if (outcome.ContractViolation is { } violation)
            {
                failures.Add($"{cell}: {violation}");
            }
        }

        output.WriteLine(Render(outcomes));
        Assert.True(failures.Count == 0, $"{failures.Count} of {cells.Count} cells differ from the matrix:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public async Task The_matrix_has_a_row_for_every_operation_of_both_OpenAPI_documents()
    {
        var problems = new List<string>();
        foreach (var service in new[] { Users, Posts })
        {
            var documented = OpenApiDocuments.Operations(await OpenApiDocuments.GetAsync(fixture, service)).Keys.ToHashSet(StringComparer.Ordinal);
            var rows = Matrix.Where(row => row.Service == service).Select(row => row.Endpoint).ToHashSet(StringComparer.Ordinal);
            problems.AddRange(documented.Except(rows).Order(StringComparer.Ordinal).Select(endpoint => $"{service} {endpoint} has no row in the matrix"));
            problems.AddRange(rows.Except(documented).Except(Undocumented).Order(StringComparer.Ordinal)
                .Select(endpoint => $"{service} {endpoint} has a row but is not in the OpenAPI document"));
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.All(Matrix, row => Assert.Equal(Enum.GetValues<Caller>().Length, row.Expected.Length));
    }

    private static async Task<Outcome> RunAsync(World world, Row row, Caller caller, CancellationToken cancellationToken)
    {
        try
        {
            var credentials = row.FreshCaller ? await world.FreshCallerAsync(caller, row.Service, cancellationToken) : world.SharedCaller(caller);
            using var request = await row.Request(world, row, credentials, cancellationToken);
            if (credentials.TokenFor(row.Service) is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            var client = row.Service == Users ? world.UserService : world.PostService;
            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return new Outcome((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body,
                response.Headers.WwwAuthenticate.ToString(), Error: null);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new Outcome(0, null, "", "", $"{exception.GetType().Name}: {exception.Message}");
        }
    }

    /// <summary>The observed statuses in the table's layout, for the test output.</summary>
    private static string Render(IReadOnlyDictionary<(Row, Caller), Outcome> outcomes)
    {
        var text = new StringBuilder($"{"",-69}{string.Concat(Enum.GetNames<Caller>().Select(name => $"{name,19}"))}\n");
        foreach (var row in Matrix)
        {
            text.Append($"{row.Service,-12}{row.Endpoint,-40}{row.Target,-17}");
            foreach (var caller in Enum.GetValues<Caller>())
            {
                var status = outcomes.TryGetValue((row, caller), out var outcome) ? outcome.Status : -1;
                text.Append($"{(status == row.Expected[(int)caller] ? $"{status}" : $"{status}!={row.Expected[(int)caller]}"),19}");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    // ---- Requests: each is a valid call of its endpoint, so only authorization decides the status. ----

    private static Task<HttpRequestMessage> Plain(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Request(row, row.Path);

    private static Task<HttpRequestMessage> Register(World world, Row row, Credentials caller, CancellationToken cancellationToken)
    {
        var userName = IdentityClient.NewUserName();
        return Request(row, row.Path, new { userName, displayName = IdentityClient.NewDisplayName(), email = $"{userName}@example.test", password = IdentityClient.NewPassword() });
    }

    private static Task<HttpRequestMessage> ChangePassword(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Request(row, row.Path, new { currentPassword = caller.User?.Password ?? IdentityClient.NewPassword(), newPassword = IdentityClient.NewPassword() });

    private static Task<HttpRequestMessage> UnknownConsent(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Request(row, row.WithId(Guid.NewGuid().ToString()));

    private static Task<HttpRequestMessage> TargetUser(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Request(row, row.WithId(world.Target.Id));

    private static async Task<HttpRequestMessage> FreshTargetUser(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => await Request(row, row.WithId((await world.Identity.RegisterAsync(cancellationToken)).Id));

    private static async Task<HttpRequestMessage> SetRoles(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => await Request(row, row.WithId((await world.Identity.RegisterAsync(cancellationToken)).Id), new { roles = new[] { "author" } });

    private static Task<HttpRequestMessage> AuthorProfile(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Request(row, row.WithId(world.Author.Id));

    private static Task<HttpRequestMessage> LookupProfiles(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Request(row, row.Path, new { ids = new[] { world.Author.Id, world.Other.Id } });

    private static Task<HttpRequestMessage> ClientCredentials(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Form(row, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "post-service-directory",
            ["client_secret"] = world.PostServiceDirectorySecret,
            ["scope"] = "users.read",
        });

    private static Task<HttpRequestMessage> Introspect(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Form(row, new() { ["client_id"] = "post-service", ["client_secret"] = world.PostServiceSecret, ["token"] = world.AuthorToken });

    /// <summary>Revoking an already revoked token is a valid request (RFC 7009), and harmless to repeat.</summary>
    private static Task<HttpRequestMessage> Revoke(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Form(row, new() { ["client_id"] = "blog-client", ["token"] = world.RevokedToken });

    private static Task<HttpRequestMessage> PublishedPost(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Request(row, row.WithId(world.Published.Id.ToString()));

    private static Task<HttpRequestMessage> DraftPost(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Request(row, row.WithId(world.Draft.Id.ToString()));

    private static Task<HttpRequestMessage> CreatePost(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => Request(row, row.Path, new { title = "Matrix", body = "A post of the authorization matrix.", tags = new[] { "matrix" } });

    private static Task<HttpRequestMessage> UpdatePublished(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => UpdateAsync(world, row, published: true, cancellationToken);

    private static Task<HttpRequestMessage> UpdateDraft(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => UpdateAsync(world, row, published: false, cancellationToken);

    private static Task<HttpRequestMessage> PublishDraft(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => VersionedAsync(world, row, published: false, cancellationToken);

    private static Task<HttpRequestMessage> PublishPublished(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => VersionedAsync(world, row, published: true, cancellationToken);

    private static Task<HttpRequestMessage> DeletePublished(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => VersionedAsync(world, row, published: true, cancellationToken);

    private static Task<HttpRequestMessage> DeleteDraft(World world, Row row, Credentials caller, CancellationToken cancellationToken)
        => VersionedAsync(world, row, published: false, cancellationToken);

    private static async Task<HttpRequestMessage> UpdateAsync(World world, Row row, bool published, CancellationToken cancellationToken)
    {
        var post = await world.NewPostAsync(published, cancellationToken);
        return await Request(row, row.WithId(post.Id.ToString()), new { title = "Edited", body = "Edited body.", tags = new[] { "matrix" }, version = post.Version });
    }

    /// <summary>Publish and delete take the version the caller read as If-Match.</summary>
    private static async Task<HttpRequestMessage> VersionedAsync(World world, Row row, bool published, CancellationToken cancellationToken)
    {
        var post = await world.NewPostAsync(published, cancellationToken);
        var request = await Request(row, row.WithId(post.Id.ToString()));
        request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{post.Version}\""));
        return request;
    }

    private static Task<HttpRequestMessage> Request(Row row, string path, object? json = null)
    {
        var request = new HttpRequestMessage(row.Method, path);
        if (json is not null)
        {
            request.Content = JsonContent.Create(json);
        }

        return Task.FromResult(request);
    }

    private static Task<HttpRequestMessage> Form(Row row, Dictionary<string, string> form)
        => Task.FromResult(new HttpRequestMessage(row.Method, row.Path) { Content = new FormUrlEncodedContent(form) });

    // ---- The table's types. ----

    /// <summary>The columns, in the table's order.</summary>
    private enum Caller
    {
        Anonymous,
        Author,
        OtherAuthor,
        Admin,
        PostServiceClient,
        Expired,
        Revoked,
        WrongAudience,
    }

    private delegate Task<HttpRequestMessage> RequestFactory(World world, Row row, Credentials caller, CancellationToken cancellationToken);

    /// <summary>One endpoint (as "METHOD /template", the OpenAPI document's spelling), on one kind of target.</summary>
    private sealed record Row(string Service, string Endpoint, string Target, RequestFactory Request, int[] Expected)
    {
        public bool FreshCaller => Target == FreshCallers;

        public HttpMethod Method => new(Endpoint[..Endpoint.IndexOf(' ')]);

        public string Path => Endpoint[(Endpoint.IndexOf(' ') + 1)..];

        public string WithId(string id) => Path.Replace("{id}", Uri.EscapeDataString(id), StringComparison.Ordinal);
    }

    /// <summary>A caller's token for each service (null: none, or not made because no row of that service needs it).</summary>
    private sealed record Credentials(string? PostServiceToken, string? UserServiceToken, TestUser? User)
    {
        public static Credentials Both(string? token, TestUser? user) => new(token, token, user);

        public string? TokenFor(string service) => service == Users ? UserServiceToken : PostServiceToken;
    }

    private sealed record Outcome(int Status, string? MediaType, string Body, string WwwAuthenticate, string? Error)
    {
        /// <summary>
        /// What every refusal must look like besides its status: a ProblemDetails body (the services' OpenAPI documents
        /// promise one for 401 and 403), and for a 401 a challenge naming the Bearer scheme (RFC 6750).
        /// </summary>
        public string? ContractViolation
            => Status >= 400 && (Body.Length == 0 || MediaType != "application/problem+json")
                ? $"{Status} with {(Body.Length == 0 ? "no body" : $"a {MediaType} body")}, not ProblemDetails"
                : Status == (int)HttpStatusCode.Unauthorized && !WwwAuthenticate.StartsWith("Bearer", StringComparison.OrdinalIgnoreCase)
                    ? $"401 without a Bearer challenge (WWW-Authenticate: '{WwwAuthenticate}')"
                    : null;

        public string Describe() => Error ?? $"{Status} ({MediaType ?? "no body"}{(Body.Length > 0 ? $": {Truncate(Body)}" : "")})";

        private static string Truncate(string text) => text.Length <= 160 ? text : text[..160] + "...";
    }

    /// <summary>What the cells share: accounts, tokens, a published post and a draft of the author, a user to administer.</summary>
    private sealed class World : IDisposable
    {
        private readonly BlogAppFixture _fixture;
        private readonly Dictionary<Caller, Credentials> _shared = [];

        private World(BlogAppFixture fixture)
        {
            _fixture = fixture;
            Identity = new IdentityClient(fixture);
            PostService = fixture.CreateHttpClient(Posts);
        }

        public IdentityClient Identity { get; }

        public HttpClient UserService => Identity.UserService;

        public HttpClient PostService { get; }

        public TestUser Author { get; private set; } = null!;

        public string AuthorToken { get; private set; } = "";

        public TestUser Other { get; private set; } = null!;

        public TestUser Target { get; private set; } = null!;

        public string AdminAccountToken { get; private set; } = "";

        public string PostServiceSecret { get; private set; } = "";

        public string PostServiceDirectorySecret { get; private set; } = "";

        public string RevokedToken { get; private set; } = "";

        public (Guid Id, uint Version) Published { get; private set; }

        public (Guid Id, uint Version) Draft { get; private set; }

        public static async Task<World> CreateAsync(BlogAppFixture fixture, CancellationToken cancellationToken)
        {
            var world = new World(fixture);
            try
            {
                await world.InitializeAsync(cancellationToken);
                return world;
            }
            catch
            {
                world.Dispose();
                throw;
            }
        }

        private async Task InitializeAsync(CancellationToken cancellationToken)
        {
            PostServiceSecret = await _fixture.GetParameterValueAsync("post-service-client-secret");
            PostServiceDirectorySecret = await _fixture.GetParameterValueAsync("post-service-directory-secret");
            var admin = await Identity.GetAdminAsync();
            AdminAccountToken = await Identity.GetAccountTokenAsync(admin, cancellationToken);
            (Author, AuthorToken) = await PostServiceTestContext.NewAuthorAsync(Identity, cancellationToken);
            var authorAccountToken = await Identity.GetAccountTokenAsync(Author, cancellationToken);
            Other = await Identity.RegisterAsync(cancellationToken);
            Target = await Identity.RegisterAsync(cancellationToken);

            _shared[Caller.Anonymous] = new Credentials(null, null, null);
            _shared[Caller.Author] = new Credentials(AuthorToken, authorAccountToken, Author);
            _shared[Caller.OtherAuthor] = new Credentials(
                await Identity.GetAccessTokenAsync(Other, cancellationToken), await Identity.GetAccountTokenAsync(Other, cancellationToken), Other);
            _shared[Caller.Admin] = new Credentials(await Identity.GetAccessTokenAsync(admin, cancellationToken), AdminAccountToken, null);
            _shared[Caller.PostServiceClient] = Credentials.Both(await Identity.GetServiceTokenAsync(cancellationToken), null);
            _shared[Caller.Expired] = new Credentials(
                await ExpiredTokenAsync(Author, Posts, proveCopiesWork: true, cancellationToken),
                await ExpiredTokenAsync(Author, Users, proveCopiesWork: true, cancellationToken), Author);
            RevokedToken = await RevokedTokenAsync(Author, Posts, cancellationToken);
            _shared[Caller.Revoked] = new Credentials(RevokedToken, await RevokedTokenAsync(Author, Users, cancellationToken), Author);
            _shared[Caller.WrongAudience] = new Credentials(PostServiceToken: authorAccountToken, UserServiceToken: AuthorToken, Author);

            Published = await NewPostAsync(published: true, cancellationToken);
            Draft = await NewPostAsync(published: false, cancellationToken);
        }

        public Credentials SharedCaller(Caller caller) => _shared[caller];

        public void Dispose()
        {
            PostService.Dispose();
            UserService.Dispose();
        }

        /// <summary>
        /// A caller of the same kind on accounts of its own, for calls that revoke the caller's tokens; only the token
        /// the row's service gets is made.
        /// </summary>
        public async Task<Credentials> FreshCallerAsync(Caller caller, string service, CancellationToken cancellationToken)
        {
            switch (caller)
            {
                case Caller.Author or Caller.OtherAuthor:
                {
                    var user = await Identity.RegisterAsync(cancellationToken);
                    return For(service, await TokenAsync(user, service, cancellationToken), user);
                }
                case Caller.Admin:
                {
                    var user = await Identity.RegisterAsync(cancellationToken);
                    using var promote = IdentityClient.Authorized(HttpMethod.Put, $"/api/admin/users/{user.Id}/roles", AdminAccountToken, new { roles = new[] { "admin", "author" } });
                    using var promoted = await UserService.SendAsync(promote, cancellationToken);
                    Assert.True(promoted.StatusCode == HttpStatusCode.OK, $"promoting a fresh admin: {(int)promoted.StatusCode}");
                    return For(service, await TokenAsync(user, service, cancellationToken), user);
                }
                case Caller.Expired:
                {
                    var user = await Identity.RegisterAsync(cancellationToken);
                    return For(service, await ExpiredTokenAsync(user, service, proveCopiesWork: false, cancellationToken), user);
                }
                case Caller.Revoked:
                {
                    var user = await Identity.RegisterAsync(cancellationToken);
                    return For(service, await RevokedTokenAsync(user, service, cancellationToken), user);
                }
                case Caller.WrongAudience:
                {
                    var user = await Identity.RegisterAsync(cancellationToken);
                    return For(service, await TokenAsync(user, service == Users ? Posts : Users, cancellationToken), user);
                }
                default:
                    return _shared[caller];
            }
        }

        private static Credentials For(string service, string token, TestUser user)
            => service == Users ? new Credentials(null, token, user) : new Credentials(token, null, user);

        /// <summary>The user's token for the service: scope account for the user service, posts for the post service.</summary>
        private Task<string> TokenAsync(TestUser user, string service, CancellationToken cancellationToken)
            => service == Users ? Identity.GetAccountTokenAsync(user, cancellationToken) : Identity.GetAccessTokenAsync(user, cancellationToken);

        /// <summary>A post of the author's, published or a draft, with its current version.</summary>
        public async Task<(Guid Id, uint Version)> NewPostAsync(bool published, CancellationToken cancellationToken)
        {
            var created = await PostServiceTestContext.CreatePostAsync(PostService, AuthorToken, cancellationToken, title: "Matrix target", tags: ["matrix"]);
            var id = created.GetProperty("id").GetGuid();
            var version = created.GetProperty("version").GetUInt32();
            if (!published)
            {
                return (id, version);
            }

            using var publish = IdentityClient.Authorized(HttpMethod.Post, $"/api/posts/{id}/publish?version={version}", AuthorToken);
            using var response = await PostService.SendAsync(publish, cancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"publishing a target post: {(int)response.StatusCode}");
            return (id, (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("version").GetUInt32());
        }

        /// <summary>
        /// A new token of the user for the service, expired by <see cref="ExpiredTokens"/>. With
        /// <paramref name="proveCopiesWork"/>, a re-issued copy of another such token with its dates unchanged in
        /// substance must work at that service first: then the expired token is refused for its dates, not for being a copy.
        /// </summary>
        private async Task<string> ExpiredTokenAsync(TestUser user, string service, bool proveCopiesWork, CancellationToken cancellationToken)
        {
            if (proveCopiesWork)
            {
                var now = DateTimeOffset.UtcNow;
                var copy = await ExpiredTokens.ReissueAsync(_fixture, await TokenAsync(user, service, cancellationToken), now.AddMinutes(-1), now.AddMinutes(10));
                var (client, path) = service == Users ? (UserService, "/api/account/me") : (PostService, "/api/posts/mine");
                using var request = IdentityClient.Authorized(HttpMethod.Get, path, copy);
                using var response = await client.SendAsync(request, cancellationToken);
                Assert.True(response.StatusCode == HttpStatusCode.OK,
                    $"a re-issued copy of a current token should work at {path}: {(int)response.StatusCode} {response.Headers.WwwAuthenticate}");
            }

            return await ExpiredTokens.ExpireAsync(_fixture, await TokenAsync(user, service, cancellationToken), cancellationToken);
        }

        /// <summary>A new token of the user for the service, revoked as the public client revokes it (RFC 7009).</summary>
        private async Task<string> RevokedTokenAsync(TestUser user, string service, CancellationToken cancellationToken)
        {
            var token = await TokenAsync(user, service, cancellationToken);
            await Identity.RevokeAsync(token, cancellationToken);
            return token;
        }
    }
}
