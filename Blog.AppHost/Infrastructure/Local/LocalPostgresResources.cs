namespace Blog.AppHost.Infrastructure.Local;

/// <summary>A PostgreSQL server run as a plain process; same connection string shape as Aspire's container.</summary>
public sealed class LocalPostgresServerResource(string name, string command, string dataRoot, ParameterResource password)
    : ExecutableResource(name, command, dataRoot), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string UserName = "postgres";

    private readonly List<LocalPostgresDatabaseResource> _databases = [];

    public EndpointReference PrimaryEndpoint => field ??= new EndpointReference(this, EndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>Holds PG_VERSION and the cluster's files; owned by the service account.</summary>
    public string ClusterDirectory => Path.Combine(WorkingDirectory, "cluster");

    /// <summary>The Unix socket directory (<c>-k</c>): /var/run/postgresql may not be writable.</summary>
    public string SocketDirectory => Path.Combine(WorkingDirectory, "socket");

    public IReadOnlyList<LocalPostgresDatabaseResource> Databases => _databases;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={PasswordParameter}");

    internal void AddDatabase(LocalPostgresDatabaseResource database) => _databases.Add(database);
}

/// <summary>A database on a <see cref="LocalPostgresServerResource"/>, created once the server is ready.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}
