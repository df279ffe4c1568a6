using System.Net;
using Blog.Tests.Fixtures;
using Npgsql;

namespace Blog.Tests.UserService;

/// <summary>
/// A refresh checks the user again. The account is changed directly in the user service's database, as a restore,
/// another tool or a lock set outside the admin API would: nothing revokes the refresh token, so only the token
/// endpoint's own check can refuse it.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RefreshRecheckTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task A_refresh_for_a_user_locked_in_the_database_is_an_invalid_grant()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var (user, refreshToken) = await LogInAsync(timeout.Token);

        await ExecuteAsync("""UPDATE "AspNetUsers" SET "LockoutEnabled" = TRUE, "LockoutEnd" = @end WHERE "Id" = @id""",
            user.Id, timeout.Token, ("end", DateTimeOffset.UtcNow.AddYears(100)));

        var refreshed = await _identity.RefreshAsync(refreshToken, timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, refreshed.Status);
        Assert.Equal("invalid_grant", refreshed.Error);
    }

    [Fact]
    public async Task A_refresh_for_a_user_deleted_in_the_database_is_an_invalid_grant()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var (user, refreshToken) = await LogInAsync(timeout.Token);

        await ExecuteAsync("""DELETE FROM "AspNetUsers" WHERE "Id" = @id""", user.Id, timeout.Token);

        var refreshed = await _identity.RefreshAsync(refreshToken, timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, refreshed.Status);
        Assert.Equal("invalid_grant", refreshed.Error);
    }

    /// <summary>A new user's refresh token, proven to work once before the account is changed.</summary>
    private async Task<(TestUser User, string RefreshToken)> LogInAsync(CancellationToken cancellationToken)
    {
        var user = await _identity.RegisterAsync(cancellationToken);
        var login = await _identity.PasswordGrantAsync(user.UserName, user.Password, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, login.Status);
        var refreshed = await _identity.RefreshAsync(login.RefreshToken!, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        return (user, refreshed.RefreshToken!);
    }

    private async Task ExecuteAsync(string sql, string userId, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var database = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, cancellationToken);
        await using var command = new NpgsqlCommand(sql, database);
        command.Parameters.AddWithValue("id", userId);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        Assert.Equal(1, await command.ExecuteNonQueryAsync(cancellationToken));
    }
}
