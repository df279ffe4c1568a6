namespace Blog.AppHost.Infrastructure;

/// <summary>How PostgreSQL and Redis run: the setting <c>Infrastructure:Mode</c>.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, local processes otherwise.</summary>
    Auto,

    /// <summary>The official container images through Aspire's Postgres and Redis integrations.</summary>
    Containers,

    /// <summary>PostgreSQL and redis-server from the machine's (Debian's) packages as plain processes.</summary>
    Local,
}

public static class InfrastructureModeSetting
{
    public const string Key = "Infrastructure:Mode";

    public static string ValidValues { get; } = string.Join(" | ", Enum.GetNames<InfrastructureMode>().Select(name => name.ToLowerInvariant()));

    /// <summary>Parses the setting; absent means <see cref="InfrastructureMode.Auto"/>.</summary>
    public static InfrastructureMode Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return InfrastructureMode.Auto;
        }

        // Enum.TryParse would also accept numbers ("1"); only the names are valid.
        foreach (var mode in Enum.GetValues<InfrastructureMode>())
        {
            if (string.Equals(value.Trim(), mode.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return mode;
            }
        }

        throw new InfrastructureConfigurationException(
            $"'{value}' is not a valid value for {Key}. Valid values: {ValidValues}.");
    }
}

/// <summary>A setting or a missing prerequisite that the user must fix; reported as a message, not a stack trace.</summary>
public sealed class InfrastructureConfigurationException(string message) : Exception(message);
