using System.Text.RegularExpressions;
using Blog.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Blog.AppHost.Infrastructure;

/// <summary>
/// What each service may touch, in every infrastructure mode. A service gets its own PostgreSQL login role, owner of
/// its own database only (no superuser, no CREATEROLE or CREATEDB, the other database closed to it), and its own Redis
/// user, confined to its keys and channel by an ACL. The superuser and the Redis administrator stay in the AppHost.
/// </summary>
public sealed partial record ServiceAccount(string Name, string DatabaseName, string RedisRules)
{
    /// <summary>
    /// Writes revocation markers and publishes them; counts its rate limits, login throttling and device-flow polling
    /// pace. Markers are read
    /// too (a delayed delivery must not overwrite a later revocation), never the token cache.
    /// </summary>
    public static readonly ServiceAccount UserService = new(BlogServiceNames.UserService, BlogInfrastructureExtensions.UsersDatabaseName,
        "resetkeys ~blog:revoked:* ~blog:ratelimit:* ~blog:login-throttle:* ~blog:device-poll:* resetchannels &blog:revocations " +
        "-@all +@connection +@read +@write +@scripting +publish -@dangerous");

    /// <summary>
    /// Reads and writes its token cache and its rejected-token counters; reads revocation markers (never writes them);
    /// subscribes to the revocation channel (PUBLISH is denied: a channel permission would allow both).
    /// </summary>
    public static readonly ServiceAccount PostService = new(BlogServiceNames.PostService, BlogInfrastructureExtensions.PostsDatabaseName,
        "resetkeys ~blog:postservice:* ~blog:ratelimit:rejected-tokens:* %R~blog:revoked:* resetchannels &blog:revocations " +
        "-@all +@connection +@read +@write +@scripting +subscribe +unsubscribe -@dangerous");

    public static IReadOnlyList<ServiceAccount> All { get; } = [UserService, PostService];

    /// <summary>The PostgreSQL role and the Redis user: the service's name, a plain identifier.</summary>
    public string RoleName => IdentifierPattern().IsMatch(Name) ? Name : throw new InvalidOperationException($"'{Name}' is not a plain identifier.");

    /// <summary>The Redis ACL rule of this account with <paramref name="passwordRule"/> (<c>&gt;password</c> or <c>#sha256</c>).</summary>
    public string RedisUserRule(string passwordRule) => $"{RoleName} on {passwordRule} {RedisRules}";

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex IdentifierPattern();
}

/// <summary>A service's credentials to one backing service: a connection string of its own, under the server in the dashboard.</summary>
public sealed class ServiceLoginResource(string name, IResourceWithConnectionString server, ServiceAccount account, ParameterResource password, ReferenceExpression connectionString)
    : Resource(name), IResourceWithConnectionString, IResourceWithParent<IResourceWithConnectionString>
{
    public IResourceWithConnectionString Parent { get; } = server;

    public ServiceAccount Account { get; } = account;

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression { get; } = connectionString;
}

public static class ServiceLoginExtensions
{
    /// <summary>
    /// The service's PostgreSQL login: created (or brought back to these rights) once the server is ready, with the
    /// superuser, which never leaves the AppHost. Running once its database is the role's alone.
    /// </summary>
    public static IResourceBuilder<ServiceLoginResource> AddDatabaseLogin(
        this IDistributedApplicationBuilder builder, IResourceWithConnectionString server, EndpointReference endpoint, ServiceAccount account)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{server.Name}-{account.Name}-password", special: false);
        var login = new ServiceLoginResource($"{server.Name}-{account.Name}", server, account, password, ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={account.RoleName};Password={password};Database={account.DatabaseName}"));

        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, cancellationToken) =>
        {
            await PostgresLogins.ProvisionAsync(
                await server.ConnectionStringExpression.GetValueAsync(cancellationToken) ?? throw new InvalidOperationException($"{server.Name} has no connection string."),
                account, await password.GetValueAsync(cancellationToken) ?? "", cancellationToken);
            await @event.Services.GetRequiredService<ResourceNotificationService>()
                .PublishUpdateAsync(login, snapshot => snapshot with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
        });

        return builder.AddResource(login).AsChildOf(server, "PostgresLogin");
    }

    /// <summary>
    /// The service's Redis user. The server itself declares the user (its configuration file or arguments, see the
    /// modes); this resource carries the connection string and is Running once the server is ready.
    /// </summary>
    public static IResourceBuilder<ServiceLoginResource> AddRedisLogin(
        this IDistributedApplicationBuilder builder, IResourceWithConnectionString server, EndpointReference endpoint, ServiceAccount account)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{server.Name}-{account.Name}-password", special: false);
        // No configuration channel nor tie-breaker key: StackExchange.Redis would use a channel and a key outside the ACL.
        var login = new ServiceLoginResource($"{server.Name}-{account.Name}", server, account, password, ReferenceExpression.Create(
            $"{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)},user={account.RoleName},password={password},configChannel=,tiebreaker="));

        builder.Eventing.Subscribe<ResourceReadyEvent>(server, (@event, _) =>
            @event.Services.GetRequiredService<ResourceNotificationService>()
                .PublishUpdateAsync(login, snapshot => snapshot with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow }));

        return builder.AddResource(login).AsChildOf(server, "RedisUser");
    }

    /// <summary>Gives <paramref name="service"/> these credentials under the connection name it already uses, and waits for them.</summary>
    public static IResourceBuilder<ProjectResource> WithLogin(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<ServiceLoginResource> login, string connectionName)
        => service.WithReference(login, connectionName).WaitFor(login);

    private static IResourceBuilder<ServiceLoginResource> AsChildOf(this IResourceBuilder<ServiceLoginResource> login, IResource server, string resourceType)
        => login
            .WithInitialState(new CustomResourceSnapshot { ResourceType = resourceType, State = KnownResourceStates.Waiting, Properties = [] })
            .WithParentRelationship(server)
            .WithIconName("PersonKey")
            .ExcludeFromManifest();
}

/// <summary>The SQL that gives a service's role its database and nothing else; safe to run at every start.</summary>
internal static class PostgresLogins
{
    public static async Task ProvisionAsync(string superuserConnectionString, ServiceAccount account, string password, CancellationToken cancellationToken)
    {
        var role = Quote(account.RoleName);
        var database = Quote(account.DatabaseName);
        // Pooling off: these connections are the superuser's, used once at start-up.
        var server = new NpgsqlConnectionStringBuilder(superuserConnectionString) { Pooling = false };
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            var exists = await ScalarAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = @name", account.RoleName, cancellationToken) is not null;
            // The password is a generated parameter (no quote in it); doubled quotes all the same. Statements are not logged.
            var rights = $"LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'";
            await ExecuteAsync(connection, exists ? $"ALTER ROLE {role} WITH {rights}" : $"CREATE ROLE {role} {rights}", cancellationToken);

            if (await ScalarAsync(connection, "SELECT 1 FROM pg_database WHERE datname = @name", account.DatabaseName, cancellationToken) is null)
            {
                try
                {
                    await ExecuteAsync(connection, $"CREATE DATABASE {database} OWNER {role}", cancellationToken);
                }
                catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DuplicateDatabase)
                {
                    // Created meanwhile by the container integration: given to the role below.
                }
            }

            await ExecuteAsync(connection, $"ALTER DATABASE {database} OWNER TO {role}", cancellationToken);
            // Only the owner (and the superuser) may connect: the other service's role gets "permission denied".
            await ExecuteAsync(connection, $"REVOKE ALL ON DATABASE {database} FROM PUBLIC", cancellationToken);
        }

        // A database migrated by the superuser before roles existed: its schema and tables go to the role.
        await using var inDatabase = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = account.DatabaseName }.ConnectionString);
        await inDatabase.OpenAsync(cancellationToken);
        await ExecuteAsync(inDatabase, $"ALTER SCHEMA public OWNER TO {role}", cancellationToken);
        await ExecuteAsync(inDatabase, $"""
            DO $$
            DECLARE item record;
            BEGIN
              FOR item IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_get_userbyid(c.relowner) <> '{account.RoleName}'
              LOOP
                EXECUTE format('ALTER %s public.%I OWNER TO {role}',
                  CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, item.relname);
              END LOOP;
            END $$
            """, cancellationToken);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
