using Blog.PostService.Authentication;
using System.Net;
using Blog.ServiceDefaults.Revocation;
using Blog.Tests.Fixtures;
using Npgsql;
using StackExchange.Redis;

namespace Blog.Tests.Security;

/// <summary>
/// Each service's own credentials, taken from its process environment as a thief would, reach its own data and no
/// more: not the other service's database, no superuser, no shell through <c>COPY ... TO PROGRAM</c>; in Redis, the
/// post service cannot write outside its prefix nor publish revocations, the user service cannot read the token cache.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class LeastPrivilegeTests(BlogAppFixture fixture)
{
    private static readonly string EntryPrefix = new TokenValidationOptions().CacheKeyPrefix;
    private readonly IdentityClient _identity = new(fixture);

    /// <summary>
    /// The post service's credential for introspection (which discloses the claims of its users' tokens) is good for
    /// nothing else: it gets no token of its own for the user directory (RFC 7662 section 4).
    /// </summary>
    [Fact]
    public async Task The_introspection_credential_obtains_no_token_for_the_user_directory()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var response = await _identity.UserService.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = Blog.ServiceDefaults.OAuth.BlogClients.PostService,
            ["client_secret"] = await fixture.GetParameterValueAsync(BlogResources.PostServiceClientSecret),
            ["scope"] = Blog.ServiceDefaults.OAuth.BlogScopes.UsersRead,
        }), timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        // Not vacuous: the directory has a credential of its own that does get one.
        Assert.Equal(HttpStatusCode.OK, (await _identity.ClientCredentialsAsync(secret: null, timeout.Token)).Status);
    }

    [Theory]
    [InlineData(BlogResources.PostService, BlogResources.PostsDatabase, BlogResources.UsersDatabase)]
    [InlineData(BlogResources.UserService, BlogResources.UsersDatabase, BlogResources.PostsDatabase)]
    public async Task A_services_database_credentials_do_not_open_the_other_services_database(string service, string own, string other)
    {
        var credentials = await DatabaseCredentialsAsync(service, own);
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);

        await using (var ownConnection = new NpgsqlConnection(credentials.ConnectionString))
        {
            await ownConnection.OpenAsync(timeout.Token); // not vacuous: the credentials work where they belong
        }

        var exception = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(credentials.ConnectionString) { Database = other }.ConnectionString);
            await connection.OpenAsync(timeout.Token);
        });
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, exception.SqlState);
    }

    [Theory]
    [InlineData(BlogResources.PostService, BlogResources.PostsDatabase)]
    [InlineData(BlogResources.UserService, BlogResources.UsersDatabase)]
    public async Task A_services_database_role_is_no_superuser_and_cannot_run_a_program(string service, string own)
    {
        var credentials = await DatabaseCredentialsAsync(service, own);
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        await using var connection = new NpgsqlConnection(credentials.ConnectionString);
        await connection.OpenAsync(timeout.Token);

        await using (var role = new NpgsqlCommand("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user", connection))
        await using (var reader = await role.ExecuteReaderAsync(timeout.Token))
        {
            Assert.True(await reader.ReadAsync(timeout.Token));
            Assert.False(reader.GetBoolean(0), "superuser");
            Assert.False(reader.GetBoolean(1), "may create roles");
            Assert.False(reader.GetBoolean(2), "may create databases");
        }

        await using var copy = new NpgsqlCommand("COPY (SELECT 1) TO PROGRAM 'true'", connection);
        var exception = await Assert.ThrowsAsync<PostgresException>(() => copy.ExecuteNonQueryAsync(timeout.Token));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, exception.SqlState);
    }

    [Fact]
    public async Task The_post_services_redis_account_cannot_write_outside_its_prefix_nor_publish_revocations()
    {
        await using var redis = await ConnectAsync(BlogResources.PostService);
        var database = redis.GetDatabase();
        var own = $"{EntryPrefix}least-privilege-{Guid.NewGuid():N}";

        await database.StringSetAsync(own, "x", TimeSpan.FromSeconds(30)); // not vacuous: its own prefix is writable
        await database.KeyDeleteAsync(own);

        await AssertRefusedAsync(() => database.StringSetAsync($"blog:elsewhere:{Guid.NewGuid():N}", "x"));
        await AssertRefusedAsync(() => database.StringSetAsync(RevocationContract.RevokedSubjectKey($"someone-{Guid.NewGuid():N}"), "1"));
        await AssertRefusedAsync(() => database.PublishAsync(RedisChannel.Literal(RevocationContract.Channel), "{}"));
    }

    [Fact]
    public async Task The_user_services_redis_account_cannot_read_a_cache_entry()
    {
        await using var redis = await ConnectAsync(BlogResources.UserService);
        var database = redis.GetDatabase();

        await database.StringGetAsync(RevocationContract.RevokedTokenKey(new string('0', 64))); // not vacuous: markers are its own

        await AssertRefusedAsync(() => database.StringGetAsync($"{EntryPrefix}{new string('0', 64)}"));
        await AssertRefusedAsync(() => database.ExecuteAsync("KEYS", $"{EntryPrefix}*"));
    }

    private async Task<NpgsqlConnectionStringBuilder> DatabaseCredentialsAsync(string service, string connectionName)
    {
        var environment = await fixture.GetEnvironmentAsync(service);
        Assert.True(environment.TryGetValue($"ConnectionStrings__{connectionName}", out var connectionString), $"{service} has no {connectionName} connection string");
        return new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
    }

    /// <summary>A connection with exactly the Redis credentials the service was started with.</summary>
    private async Task<ConnectionMultiplexer> ConnectAsync(string service)
    {
        var environment = await fixture.GetEnvironmentAsync(service);
        return await ConnectionMultiplexer.ConnectAsync(environment["ConnectionStrings__redis"]);
    }

    private static async Task AssertRefusedAsync(Func<Task> call)
    {
        var exception = await Assert.ThrowsAsync<RedisServerException>(call);
        Assert.StartsWith("NOPERM", exception.Message, StringComparison.Ordinal);
    }
}
