using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Npgsql;

namespace Blog.Tests.UserService;

/// <summary>
/// Who is administrator: only the bootstrap account made on a first install, and whoever an administrator promotes.
/// The seeder never promotes an account by its name, never gives the role back at a later start, and the last
/// administrator cannot be removed. The tests share the running application with others that use the seeded
/// administrator: each works through an administrator of its own and puts the seeded one back as it found it.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class AdminBootstrapTests(BlogAppFixture fixture)
{
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromMinutes(3);
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task The_last_administrator_cannot_be_demoted_locked_or_deleted_not_even_by_itself()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = timeout.Token;
        var before = await AdministratorsAsync(ct);
        var (last, lastToken) = await NewAdministratorAsync(ct);
        try
        {
            // Every other administrator (the seeded one, those other tests made) demoted: the new one is the last.
            foreach (var (id, roles) in before)
            {
                using var demoted = await SendAsync(HttpMethod.Put, $"/api/admin/users/{id}/roles", lastToken, new { roles = roles.Where(role => role != "admin").ToArray() }, ct);
                Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
            }

            Assert.Equal([last.Id], (await AdministratorsAsync(ct)).Keys);

            using (var demoteSelf = await SendAsync(HttpMethod.Put, $"/api/admin/users/{last.Id}/roles", lastToken, new { roles = new[] { "author" } }, ct))
            {
                await AssertLastAdministratorConflictAsync(demoteSelf, ct);
            }

            using (var lockSelf = await SendAsync(HttpMethod.Post, $"/api/admin/users/{last.Id}/lock", lastToken, null, ct))
            {
                await AssertLastAdministratorConflictAsync(lockSelf, ct);
            }

            using (var deleteSelf = await SendAsync(HttpMethod.Delete, $"/api/admin/users/{last.Id}", lastToken, null, ct))
            {
                await AssertLastAdministratorConflictAsync(deleteSelf, ct);
            }

            // Nothing changed: still administrator, not locked, and its token (a refused call revokes nothing) still works.
            using var read = await SendAsync(HttpMethod.Get, $"/api/admin/users/{last.Id}", lastToken, null, ct);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            var account = await read.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Contains("admin", account.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
            Assert.False(account.GetProperty("lockedOut").GetBoolean());
        }
        finally
        {
            await RestoreAdministratorsAsync(before, CancellationToken.None);
            await DeleteAsync(last, CancellationToken.None);
        }
    }

    [Fact]
    public async Task At_a_restart_the_seeder_gives_nobody_the_admin_role_not_even_an_account_registered_under_the_admin_name()
    {
        using var timeout = new CancellationTokenSource(RestartTimeout);
        var ct = timeout.Token;
        var seeded = await _identity.GetAdminAsync();
        var seededToken = await _identity.GetAccountTokenAsync(seeded, ct);
        var seededAccount = await GetMeAsync(seededToken, ct);
        var (other, otherToken) = await NewAdministratorAsync(ct);
        string? impostorId = null;
        try
        {
            // The reproduced attack: an administrator deletes the account "admin"; anyone registers that name; restart.
            using (var deleted = await SendAsync(HttpMethod.Delete, $"/api/admin/users/{seededAccount.GetProperty("id").GetString()}", otherToken, null, ct))
            {
                Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            }

            var impostor = new TestUser("", seeded.UserName, IdentityClient.NewPassword());
            using (var registered = await _identity.UserService.PostAsJsonAsync("/api/account/register",
                       new { userName = impostor.UserName, displayName = "Not the admin", email = $"{IdentityClient.NewUserName()}@example.test", password = impostor.Password }, ct))
            {
                Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
                impostorId = (await registered.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString();
            }

            await fixture.RestartAsync(BlogResources.UserService);

            var impostorToken = await _identity.GetAccountTokenAsync(impostor, ct);
            Assert.Equal(["author"], (await GetMeAsync(impostorToken, ct)).GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
            using var list = await SendAsync(HttpMethod.Get, "/api/admin/users", impostorToken, null, ct);
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        }
        finally
        {
            await RestoreSeededAdministratorAsync(seeded, seededAccount, impostorId, CancellationToken.None);
            await DeleteAsync(other, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Registration_answers_503_until_the_seeder_has_finished()
    {
        using var timeout = new CancellationTokenSource(RestartTimeout);
        var ct = timeout.Token;
        var direct = new Uri(await fixture.GetDirectAddressAsync(BlogResources.UserService), "/api/account/register");
        var instance = await fixture.GetSingleInstanceIdAsync(BlogResources.UserService);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var userName = IdentityClient.NewUserName();
        var body = new { userName, displayName = "Early bird", email = $"{userName}@example.test", password = IdentityClient.NewPassword() };

        // The seeder reads the roles first: holding the roles table keeps it from finishing after the restart.
        var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, ct);
        var transaction = await database.BeginTransactionAsync(ct);
        try
        {
            await using (var hold = new NpgsqlCommand("""LOCK TABLE "AspNetRoles" IN ACCESS EXCLUSIVE MODE""", database, transaction))
            {
                await hold.ExecuteNonQueryAsync(ct);
            }

            await fixture.ExecuteCommandWithoutWaitingAsync(instance, KnownResourceCommands.RestartCommand, ct);

            // The old process answered Healthy; the new one answers 503 on /health while its seeder is held.
            var health = new Uri(direct, "/health");
            await FaultInjection.WaitUntilAsync(async () =>
            {
                try
                {
                    using var response = await client.GetAsync(health, ct);
                    return response.StatusCode == HttpStatusCode.ServiceUnavailable;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            }, "the restarted user service answers /health while it seeds", ct);

            var answer = await client.PostAsJsonAsync(direct, body, ct);
            using (answer)
            {
                var text = await answer.Content.ReadAsStringAsync(ct);
                Assert.True(answer.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)answer.StatusCode}: {text}");
                Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(answer.Headers.RetryAfter);
            }
        }
        finally
        {
            await transaction.RollbackAsync(CancellationToken.None);
            await transaction.DisposeAsync();
            await database.DisposeAsync();
            await fixture.WaitAllHealthyAsync();
        }

        // The refused registration stored nothing: the name is still free.
        using var later = await _identity.UserService.PostAsJsonAsync("/api/account/register", body, ct);
        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
    }

    private static async Task AssertLastAdministratorConflictAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("administrator", text, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A fresh account the seeded administrator promotes, and its account token.</summary>
    private async Task<(TestUser User, string Token)> NewAdministratorAsync(CancellationToken cancellationToken)
    {
        var seededToken = await _identity.GetAccountTokenAsync(await _identity.GetAdminAsync(), cancellationToken);
        var user = await _identity.RegisterAsync(cancellationToken);
        using var promoted = await SendAsync(HttpMethod.Put, $"/api/admin/users/{user.Id}/roles", seededToken, new { roles = new[] { "admin", "author" } }, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        return (user, await _identity.GetAccountTokenAsync(user, cancellationToken));
    }

    /// <summary>Every administrator and all of its roles, read from the database (the admin list is paged).</summary>
    private async Task<Dictionary<string, string[]>> AdministratorsAsync(CancellationToken cancellationToken)
    {
        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT ur."UserId", array_agg(r."Name" ORDER BY r."Name")
            FROM "AspNetUserRoles" ur JOIN "AspNetRoles" r ON r."Id" = ur."RoleId"
            WHERE ur."UserId" IN (SELECT ur2."UserId" FROM "AspNetUserRoles" ur2 JOIN "AspNetRoles" r2 ON r2."Id" = ur2."RoleId" WHERE r2."Name" = 'admin')
            GROUP BY ur."UserId"
            """, database);
        var administrators = new Dictionary<string, string[]>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            administrators[reader.GetString(0)] = reader.GetFieldValue<string[]>(1);
        }

        return administrators;
    }

    /// <summary>
    /// Puts the administrators' roles back in the database itself, so that the application is whole again even when the
    /// test failed half-way (e.g. the last administrator did demote itself). Their tokens were revoked by the demotion.
    /// </summary>
    private async Task RestoreAdministratorsAsync(Dictionary<string, string[]> administrators, CancellationToken cancellationToken)
    {
        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, cancellationToken);
        foreach (var (id, roles) in administrators)
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO "AspNetUserRoles" ("UserId", "RoleId")
                SELECT @id, r."Id" FROM "AspNetRoles" r WHERE r."Name" = ANY(@roles)
                ON CONFLICT DO NOTHING
                """, database);
            command.Parameters.AddWithValue("id", id);
            command.Parameters.AddWithValue("roles", roles);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>The seeded administrator back under its name, password, email and roles (with a new id).</summary>
    private async Task RestoreSeededAdministratorAsync(TestUser seeded, JsonElement account, string? impostorId, CancellationToken cancellationToken)
    {
        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, cancellationToken);
        await using (var exists = new NpgsqlCommand("""SELECT "Id" FROM "AspNetUsers" WHERE "NormalizedUserName" = upper(@name)""", database))
        {
            exists.Parameters.AddWithValue("name", seeded.UserName);
            var id = (string?)await exists.ExecuteScalarAsync(cancellationToken);
            if (id is not null && id != impostorId)
            {
                return; // never deleted: the test failed before
            }

            if (id is not null)
            {
                await using var delete = new NpgsqlCommand("""DELETE FROM "AspNetUsers" WHERE "Id" = @id""", database);
                delete.Parameters.AddWithValue("id", id);
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var registered = await _identity.UserService.PostAsJsonAsync("/api/account/register", new
        {
            userName = seeded.UserName,
            displayName = account.GetProperty("displayName").GetString(),
            email = account.GetProperty("email").GetString(),
            password = seeded.Password,
        }, timeout.Token);
        Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync(timeout.Token));
        var newId = (await registered.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("id").GetString()!;
        await RestoreAdministratorsAsync(new() { [newId] = [.. account.GetProperty("roles").EnumerateArray().Select(role => role.GetString()!)] }, cancellationToken);
    }

    private async Task DeleteAsync(TestUser user, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(BlogAppFixture.DefaultTimeout);
        var seededToken = await _identity.GetAccountTokenAsync(await _identity.GetAdminAsync(), timeout.Token);
        using var deleted = await SendAsync(HttpMethod.Delete, $"/api/admin/users/{user.Id}", seededToken, null, timeout.Token);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    private async Task<JsonElement> GetMeAsync(string accountToken, CancellationToken cancellationToken)
    {
        using var me = await SendAsync(HttpMethod.Get, "/api/account/me", accountToken, null, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        return await me.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string uri, string token, object? json, CancellationToken cancellationToken)
        => _identity.UserService.SendAsync(IdentityClient.Authorized(method, uri, token, json), cancellationToken);
}
