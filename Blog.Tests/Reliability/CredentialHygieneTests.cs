using System.Data.Common;
using System.Net;
using System.Text;
using Blog.PostService.Authentication;
using Blog.ServiceDefaults.Revocation;
using Blog.Tests.Fixtures;
using Blog.Tests.PostService;
using StackExchange.Redis;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.Reliability;

/// <summary>
/// After every kind of credential has been through the system, none of them is in what the system keeps: the console
/// logs of every service instance, and every key and value in Redis.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class CredentialHygieneTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task After_a_full_scenario_no_credential_is_in_any_service_log_or_in_Redis()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        await using var postLogs = await ResourceLogWatcher.StartAsync(fixture, PostServiceName);
        await using var userLogs = await ResourceLogWatcher.StartAsync(fixture, BlogResources.UserService);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceName);
        var secrets = new Dictionary<string, string>();

        // Register, password grant, refresh.
        var user = await _identity.RegisterAsync(ct);
        secrets["password"] = user.Password;
        var granted = Keep(await _identity.PasswordGrantAsync(user.UserName, user.Password, ct), "granted", secrets);
        var refreshed = Keep(await _identity.RefreshAsync(granted.RefreshToken!, ct), "refreshed", secrets);

        // Client credentials, with the post service's secret.
        secrets["post service client secret"] = await fixture.GetParameterValueAsync("post-service-client-secret");
        secrets["post service directory secret"] = await fixture.GetParameterValueAsync("post-service-directory-secret");
        Keep(await _identity.ClientCredentialsAsync(secret: null, ct), "client credentials", secrets);

        // Introspection through the post service (each replica), a post.
        await PostServiceReplicas.WarmAsync(replicas, [refreshed.AccessToken], ct);

        await CreatePostAsync(replicas[0], refreshed.AccessToken, ct);

        // Revocation of an access and a refresh token; a password change (which revokes every token of the user).
        await _identity.RevokeAsync(refreshed.AccessToken, ct);
        await _identity.RevokeAsync(refreshed.RefreshToken!, ct);
        var beforeChange = Keep(await _identity.PasswordGrantAsync(user.UserName, user.Password, ct, IdentityClient.AccountScopes), "before the password change", secrets);
        secrets["new password"] = IdentityClient.NewPassword();
        using (var change = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Post, "/api/account/password", beforeChange.AccessToken,
                   new { currentPassword = user.Password, newPassword = secrets["new password"] }), ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        }

        var afterChange = Keep(await _identity.PasswordGrantAsync(user.UserName, secrets["new password"], ct), "after the password change", secrets);
        await CreatePostAsync(replicas[^1], afterChange.AccessToken, ct);

        // The administrator.
        var admin = await _identity.GetAdminAsync();
        secrets["admin password"] = admin.Password;
        var adminGrant = Keep(await _identity.PasswordGrantAsync(admin.UserName, admin.Password, ct), "admin", secrets);
        // A token nothing revokes afterwards: its introspection result stays in Redis for the scan below.
        using (var adminMine = await replicas[0].SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", adminGrant.AccessToken), ct))
        {
            Assert.Equal(HttpStatusCode.OK, adminMine.StatusCode);
        }

        // The infrastructure's and the token server's own secrets must not be printed either.
        secrets["token signing key"] = await fixture.GetParameterValueAsync("token-signing-key");
        secrets["token encryption key"] = await fixture.GetParameterValueAsync("token-encryption-key");
        secrets["post service cache key"] = await fixture.GetParameterValueAsync("post-service-cache-key");
        var redisConnection = await fixture.RedisConnectionStringAsync(ct);
        secrets["redis password"] = ConfigurationOptions.Parse(redisConnection).Password!;
        secrets["postgres password"] = (string)new DbConnectionStringBuilder { ConnectionString = await fixture.App.GetConnectionStringAsync(BlogResources.Postgres, ct) }["Password"];

        // Last, a revocation both services log: once its lines are in, everything the scenario logged before is too.
        await _identity.RevokeAsync(afterChange.AccessToken, ct);
        await userLogs.WaitForAsync($"Published the revocation of {TokenId(afterChange.AccessToken)}", 1, BlogAppFixture.DefaultTimeout);
        await postLogs.WaitForAsync($"Revocation of token {TokenId(afterChange.AccessToken)}", replicas.Count, BlogAppFixture.DefaultTimeout);

        var leaks = FindIn("post service log", postLogs.Lines.Select(line => Encoding.UTF8.GetBytes(line)), secrets)
            .Concat(FindIn("user service log", userLogs.Lines.Select(line => Encoding.UTF8.GetBytes(line)), secrets))
            .ToList();

        var redis = await RedisContents.ReadAllAsync(redisConnection);
        var redisKeys = redis.Select(entry => entry.Key).ToList();
        // The scan is not vacuous: introspection results and revocation markers are there to look into.
        Assert.Contains(redisKeys, key => key.StartsWith(new TokenValidationOptions().CacheKeyPrefix, StringComparison.Ordinal));
        Assert.Contains(redisKeys, key => key.StartsWith(RevocationContract.RevokedTokenKey(""), StringComparison.Ordinal));
        leaks.AddRange(FindIn("Redis key", redisKeys.Select(Encoding.UTF8.GetBytes), secrets));
        leaks.AddRange(FindIn("Redis value", redis.SelectMany(entry => entry.Values), secrets));

        Assert.True(leaks.Count == 0, string.Join('\n', leaks));

        // Personal data too: the post service works with user ids, so no user name belongs in its logs (the claims of
        // an introspection answer are not logged).
        Assert.DoesNotContain(postLogs.Lines, line => line.Contains(user.UserName, StringComparison.Ordinal));
        // Nor in the user service's: OpenIddict logs each token request whole (the user name in it) at Information.
        Assert.DoesNotContain(userLogs.Lines, line => line.Contains(user.UserName, StringComparison.Ordinal));
    }

    /// <summary>Asserts the token response is a success and adds its tokens to <paramref name="secrets"/>.</summary>
    private static TokenResponse Keep(TokenResponse response, string what, Dictionary<string, string> secrets)
    {
        Assert.True(response.Status == HttpStatusCode.OK, $"{what}: {response.Body}");
        secrets[$"access token ({what})"] = response.AccessToken;
        if (response.RefreshToken is { } refreshToken)
        {
            secrets[$"refresh token ({what})"] = refreshToken;
        }

        return response;
    }

    /// <summary>
    /// Where any secret, or a telling piece of a long one (its end, its middle), occurs in <paramref name="blobs"/>; each
    /// finding names the secret, not its value.
    /// </summary>
    private static IEnumerable<string> FindIn(string where, IEnumerable<byte[]> blobs, IReadOnlyDictionary<string, string> secrets)
    {
        var needles = secrets.SelectMany(secret => Fragments(secret.Value).Select(fragment => (secret.Key, Bytes: Encoding.UTF8.GetBytes(fragment)))).ToList();
        foreach (var blob in blobs)
        {
            foreach (var (what, bytes) in needles)
            {
                if (blob.AsSpan().IndexOf(bytes) >= 0)
                {
                    yield return $"{what} found in a {where}";
                }
            }
        }
    }

    private static IEnumerable<string> Fragments(string secret)
    {
        yield return secret;
        if (secret.Length >= 48)
        {
            yield return secret[^24..];
            yield return secret.Substring(secret.Length / 2 - 16, 32);
        }
    }
}
