using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using static Blog.TestKit.BadInputHttp;

namespace Blog.Tests.BadInput;

/// <summary>
/// The user service's JSON APIs (register, password change, admin, user directory) against the bad-input corpus: each
/// refusal a 4xx ProblemDetails naming the problem, and nothing stored changed (no account made, password and roles as
/// they were, tokens still valid).
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class UserServiceCorpusTests(BlogAppFixture fixture, CorpusCallers callers) : IClassFixture<CorpusCallers>
{
    private const string MissingId = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private readonly IdentityClient _identity = new(fixture);

    /// <summary>$NAME is a fresh, valid user name; a row that carries it must not create that account.</summary>
    public static TheoryData<string, string, string> RegistrationFaults() => new()
    {
        { "userName is a number", """{"userName":42,"displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "email is an array", """{"userName":"$NAME","displayName":"Corpus writer","email":["$NAME@example.test"],"password":"Pass-word-1!"}""", "email" },
        { "password is an object", """{"userName":"$NAME","displayName":"Corpus writer","email":"$NAME@example.test","password":{"value":"Pass-word-1!"}}""", "password" },
        { "every field is missing", """{}""", "userName" },
        { "password is missing", """{"userName":"$NAME","displayName":"Corpus writer","email":"$NAME@example.test"}""", "password" },
        { "userName is null", """{"userName":null,"displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "userName is empty", """{"userName":"","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "userName is whitespace", """{"userName":"  \t ","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "email is whitespace", """{"userName":"$NAME","displayName":"Corpus writer","email":"   ","password":"Pass-word-1!"}""", "email" },
        { "password is empty", """{"userName":"$NAME","displayName":"Corpus writer","email":"$NAME@example.test","password":""}""", "password" },
        { "userName is one over 64 characters", $$"""{"userName":"{{new string('u', 65)}}","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "email is one over 256 characters", $$"""{"userName":"$NAME","displayName":"Corpus writer","email":"{{new string('e', 245)}}@example.test","password":"Pass-word-1!"}""", "email" },
        { "password is one over 256 characters", $$"""{"userName":"$NAME","displayName":"Corpus writer","email":"$NAME@example.test","password":"{{new string('P', 251)}}-wd-1!"}""", "password" },
        { "email is not an address", """{"userName":"$NAME","displayName":"Corpus writer","email":"not-an-email","password":"Pass-word-1!"}""", "email" },
        { "userName is an SQL fragment", """{"userName":"Robert'); DROP TABLE \"AspNetUsers\";--","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "userName is a script", """{"userName":"<script>alert(1)</script>","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "userName holds NUL", """{"userName":"$NAME\u0000","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "email holds NUL", """{"userName":"$NAME","displayName":"Corpus writer","email":"$NAME\u0000@example.test","password":"Pass-word-1!"}""", "email" },
        { "userName is invalid UTF-8", """{"userName":"$NAME<0xFF>","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "an unknown field that looks like a right: roles", """{"userName":"$NAME","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!","roles":["admin"]}""", "roles" },
        { "an unknown field: id", """{"id":"00000000-0000-0000-0000-000000000001","userName":"$NAME","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "id" },
        { "a field given twice", """{"userName":"$NAME","userName":"other","displayName":"Corpus writer","email":"$NAME@example.test","password":"Pass-word-1!"}""", "userName" },
        { "truncated JSON", """{"userName":"$NAME","displayName":"Corpus writer","email":""", "JSON" },
        { "displayName is missing", """{"userName":"$NAME","email":"$NAME@example.test","password":"Pass-word-1!"}""", "displayName" },
        { "displayName is null", """{"userName":"$NAME","displayName":null,"email":"$NAME@example.test","password":"Pass-word-1!"}""", "displayName" },
        { "displayName is whitespace", """{"userName":"$NAME","displayName":" \t ","email":"$NAME@example.test","password":"Pass-word-1!"}""", "displayName" },
        { "displayName is a number", """{"userName":"$NAME","displayName":7,"email":"$NAME@example.test","password":"Pass-word-1!"}""", "displayName" },
        { "displayName is one over 64 characters", $$"""{"userName":"$NAME","displayName":"{{new string('d', 65)}}","email":"$NAME@example.test","password":"Pass-word-1!"}""", "displayName" },
        { "displayName holds a line break", """{"userName":"$NAME","displayName":"Ada\nLovelace","email":"$NAME@example.test","password":"Pass-word-1!"}""", "displayName" },
        { "displayName holds NUL", """{"userName":"$NAME","displayName":"Ada\u0000","email":"$NAME@example.test","password":"Pass-word-1!"}""", "displayName" },
        { "displayName holds a right-to-left override", """{"userName":"$NAME","displayName":"Ada\u202EecilA","email":"$NAME@example.test","password":"Pass-word-1!"}""", "displayName" },
    };

    [Theory]
    [MemberData(nameof(RegistrationFaults))]
    public async Task A_bad_registration_is_refused_and_creates_no_account(string @case, string json, string names)
    {
        _ = @case; // names the row in the test's display name
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var ct = timeout.Token;
        var name = IdentityClient.NewUserName();

        using (var response = await _identity.UserService.SendAsync(Request(HttpMethod.Post, "/api/account/register", null, RawBody(json.Replace("$NAME", name, StringComparison.Ordinal))), ct))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, names, ct);
        }

        // The name and address are still free: the refused request stored nothing.
        using var valid = await _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName = name, displayName = IdentityClient.NewDisplayName(), email = $"{name}@example.test", password = IdentityClient.NewPassword() }, ct);
        Assert.Equal(HttpStatusCode.Created, valid.StatusCode);
    }

    public static TheoryData<string, string, string> PasswordChangeFaults() => new()
    {
        { "every field is missing", """{}""", "currentPassword" },
        { "currentPassword is a number", """{"currentPassword":1,"newPassword":"New-pass-word-1!"}""", "currentPassword" },
        { "newPassword is null", """{"currentPassword":"$CURRENT","newPassword":null}""", "newPassword" },
        { "newPassword is empty", """{"currentPassword":"$CURRENT","newPassword":""}""", "newPassword" },
        { "newPassword is one over 256 characters", $$"""{"currentPassword":"$CURRENT","newPassword":"{{new string('N', 251)}}-wd-1!"}""", "newPassword" },
        { "currentPassword is wrong", """{"currentPassword":"Not-it-1!","newPassword":"New-pass-word-1!"}""", "currentPassword" },
        { "an unknown field: userName", """{"currentPassword":"$CURRENT","newPassword":"New-pass-word-1!","userName":"admin"}""", "userName" },
        { "truncated JSON", """{"currentPassword":"$CURRENT","newPass""", "JSON" },
    };

    [Theory]
    [MemberData(nameof(PasswordChangeFaults))]
    public async Task A_bad_password_change_is_refused_and_the_password_and_tokens_stay(string @case, string json, string names)
    {
        _ = @case; // names the row in the test's display name
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var ct = timeout.Token;
        var (user, _) = await callers.AuthorAsync(_identity);
        var token = await callers.AuthorAccountTokenAsync(_identity);

        using (var response = await _identity.UserService.SendAsync(
                   Request(HttpMethod.Post, "/api/account/password", token, RawBody(json.Replace("$CURRENT", user.Password, StringComparison.Ordinal))), ct))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, names, ct);
        }

        // A changed password would have revoked the token.
        using var me = await _identity.UserService.SendAsync(Request(HttpMethod.Get, "/api/account/me", token), ct);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    public static TheoryData<string, string, string> RoleFaults() => new()
    {
        { "roles is a string", """{"roles":"admin"}""", "roles" },
        { "roles holds a number", """{"roles":[1]}""", "roles" },
        { "roles is null", """{"roles":null}""", "roles" },
        { "roles is missing", """{}""", "roles" },
        { "an unknown role", """{"roles":["root"]}""", "roles" },
        { "a role in the wrong case", """{"roles":["Admin"]}""", "roles" },
        { "an empty role", """{"roles":[""]}""", "roles" },
        { "an SQL fragment as a role", """{"roles":["admin' OR 1=1 --"]}""", "roles" },
        { "an unknown field", """{"roles":["admin"],"lockoutEnd":null}""", "lockoutEnd" },
        { "a JSON array", """["admin"]""", "JSON" },
    };

    [Theory]
    [MemberData(nameof(RoleFaults))]
    public async Task A_bad_role_change_is_refused_and_the_roles_stay(string @case, string json, string names)
    {
        _ = @case; // names the row in the test's display name
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var ct = timeout.Token;
        var adminToken = await callers.AdminTokenAsync(_identity);
        var target = await callers.OnceAsync("target", _identity.RegisterAsync);

        using (var response = await _identity.UserService.SendAsync(
                   Request(HttpMethod.Put, $"/api/admin/users/{target.Id}/roles", adminToken, RawBody(json)), ct))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, names, ct);
        }

        using var read = await _identity.UserService.SendAsync(Request(HttpMethod.Get, $"/api/admin/users/{target.Id}", adminToken), ct);
        var account = await read.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(["author"], account.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
    }

    public static TheoryData<string, string> AdminListFaults() => new()
    {
        { "?pageSize=0", "pageSize" },
        { "?pageSize=-1", "pageSize" },
        { "?pageSize=101", "pageSize" },
        { "?pageSize=99999999999", "pageSize" },
        { "?pageSize=abc", "pageSize" },
        { "?page=0", "page" },
        { "?page=-1", "page" },
        { "?page=2147483647", "page" },
        { "?page=99999999999", "page" },
        { "?page=abc", "page" },
    };

    [Theory]
    [MemberData(nameof(AdminListFaults))]
    public async Task A_bad_user_list_query_is_refused(string query, string names)
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var adminToken = await callers.AdminTokenAsync(_identity);

        using var response = await _identity.UserService.SendAsync(Request(HttpMethod.Get, "/api/admin/users" + query, adminToken), timeout.Token);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, names, timeout.Token);
    }

    public static TheoryData<string, string, string> IdFaults()
    {
        var cases = new TheoryData<string, string, string>();
        string[] ids = [MissingId, "not-a-guid", "%27%20OR%20%271%27%3D%271", new string('f', 2000)];
        foreach (var id in ids)
        {
            cases.Add("GET", "/api/admin/users/{id}", id);
            cases.Add("PUT", "/api/admin/users/{id}/roles", id);
            cases.Add("POST", "/api/admin/users/{id}/lock", id);
            cases.Add("POST", "/api/admin/users/{id}/unlock", id);
            cases.Add("DELETE", "/api/admin/users/{id}", id);
            cases.Add("GET", "/api/users/{id}", id);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(IdFaults))]
    public async Task A_user_id_that_does_not_exist_or_does_not_parse_is_not_found(string method, string template, string id)
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var token = template.StartsWith("/api/users", StringComparison.Ordinal)
            ? await callers.ServiceTokenAsync(_identity)
            : await callers.AdminTokenAsync(_identity);
        var body = method == "PUT" ? RawBody("""{"roles":["author"]}""") : null;

        using var response = await _identity.UserService.SendAsync(
            Request(new HttpMethod(method), template.Replace("{id}", id, StringComparison.Ordinal), token, body), timeout.Token);

        await AssertProblemAsync(response, HttpStatusCode.NotFound, names: null, timeout.Token);
    }

    public static TheoryData<string, string, string> LookupFaults() => new()
    {
        { "ids is a string", """{"ids":"x"}""", "ids" },
        { "ids holds a number", """{"ids":[1]}""", "ids" },
        { "ids is missing", """{}""", "ids" },
        { "ids is null", """{"ids":null}""", "ids" },
        { "101 ids", $$"""{"ids":[{{string.Join(',', Enumerable.Range(0, 101).Select(i => $"\"{i}\""))}}]}""", "ids" },
        { "an unknown field", """{"ids":[],"all":true}""", "all" },
        { "invalid UTF-8", """{"ids":["<0xFE>"]}""", "ids" },
        // No user id holds NUL, and PostgreSQL cannot even compare a text with one: refused before any lookup.
        { "an id holding NUL", """{"ids":["\u0000"]}""", "NUL" },
    };

    [Theory]
    [MemberData(nameof(LookupFaults))]
    public async Task A_bad_lookup_is_refused(string @case, string json, string names)
    {
        _ = @case; // names the row in the test's display name
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var token = await callers.ServiceTokenAsync(_identity);

        using var response = await _identity.UserService.SendAsync(Request(HttpMethod.Post, "/api/users/lookup", token, RawBody(json)), timeout.Token);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, names, timeout.Token);
    }

    public static TheoryData<string, string> LookupsOfNobody() => new()
    {
        { "an SQL fragment", """{"ids":["' OR 1=1 --"]}""" },
        { "a LIKE pattern", """{"ids":["%"]}""" },
        { "an empty id", """{"ids":[""]}""" },
        { "a 10000-character id", $$"""{"ids":["{{new string('i', 10_000)}}"]}""" },
        { "no ids", """{"ids":[]}""" },
    };

    /// <summary>Ids are data: whatever they hold, an id that is no user's is left out, never an error, never a match.</summary>
    [Theory]
    [MemberData(nameof(LookupsOfNobody))]
    public async Task A_lookup_of_ids_that_are_nobody_s_finds_nobody(string @case, string json)
    {
        _ = @case; // names the row in the test's display name
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var token = await callers.ServiceTokenAsync(_identity);

        using var response = await _identity.UserService.SendAsync(Request(HttpMethod.Post, "/api/users/lookup", token, RawBody(json)), timeout.Token);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(timeout.Token)}");
        Assert.Empty((await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).EnumerateArray());
    }
}
