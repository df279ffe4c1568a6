namespace Blog.AppHost.Infrastructure.Local;

/// <summary>
/// A redis-server run as a plain process. Its own connection string is the administrator's (the AppHost's alone); the
/// default user is off, and each service has a user of its own (<see cref="Users"/>), declared in the configuration file.
/// </summary>
public sealed class LocalRedisResource(string name, string command, string dataRoot, ParameterResource password)
    : ExecutableResource(name, command, dataRoot), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string AdminUserName = "admin";

    private readonly List<ServiceLoginResource> _users = [];

    public EndpointReference PrimaryEndpoint => field ??= new EndpointReference(this, EndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>Written at each start (mode 0600 from the start) so no password shows on a command line.</summary>
    public string ConfigurationFile => Path.Combine(WorkingDirectory, "redis.conf");

    public IReadOnlyList<ServiceLoginResource> Users => _users;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)},user={AdminUserName},password={PasswordParameter}");

    public void AddUser(ServiceLoginResource user) => _users.Add(user);
}
