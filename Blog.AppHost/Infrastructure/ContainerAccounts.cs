namespace Blog.AppHost.Infrastructure;

/// <summary>
/// The service accounts in containers mode. PostgreSQL needs nothing here: <see cref="ServiceLoginExtensions.AddDatabaseLogin"/>
/// provisions the roles through the server's superuser connection as in local mode. Redis declares its users on the
/// server's command line, passwords from the environment (as Aspire passes its own).
/// </summary>
public static class ContainerAccounts
{
    private const string DefaultPasswordVariable = "BLOG_REDIS_DEFAULT_PASSWORD";

    /// <summary>
    /// Declares each service's Redis user. Aspire's connection string and health check authenticate as the default
    /// user with the generated password, so the default user keeps it but may only connect and PING: no key, no channel.
    /// </summary>
    public static IResourceBuilder<RedisResource> WithServiceUsers(this IResourceBuilder<RedisResource> redis, IReadOnlyList<ServiceLoginResource> users)
    {
        redis.WithEnvironment(DefaultPasswordVariable, redis.Resource.PasswordParameter!);
        foreach (var user in users)
        {
            redis.WithEnvironment(PasswordVariable(user), user.PasswordParameter);
        }

        // Aspire runs redis-server through /bin/sh (ShellExecution): in a run its arguments are words DCP joins into the
        // "-c" command, in a manifest one "-c" command already. The users' words go at the end either way.
        return redis.WithArgs(context =>
        {
            var words = UserArguments(users).ToList();
            var index = context.Args.IndexOf("-c");
            if (index < 0)
            {
                words.ForEach(context.Args.Add);
            }
            else if (index + 1 < context.Args.Count && context.Args[index + 1] is string command)
            {
                context.Args[index + 1] = command + " " + string.Join(' ', words);
            }
            else
            {
                throw new InvalidOperationException($"The Redis container's command line is not the expected one: {string.Join(" | ", context.Args)}");
            }
        });
    }

    /// <summary>The <c>--user</c> directives as shell words: each rule quoted (rules hold ~, *, &amp; and %), passwords from the environment.</summary>
    public static IEnumerable<string> UserArguments(IReadOnlyList<ServiceLoginResource> users)
    {
        string[] defaultUser = ["--user", "default", "on", $"\">${DefaultPasswordVariable}\"", "resetkeys", "resetchannels", "-@all", "+@connection"];
        foreach (var word in defaultUser)
        {
            yield return word;
        }

        foreach (var user in users)
        {
            yield return "--user";
            yield return user.Account.RoleName;
            yield return "on";
            yield return $"\">${PasswordVariable(user)}\"";
            foreach (var rule in user.Account.RedisRules.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return $"'{rule}'";
            }
        }
    }

    private static string PasswordVariable(ServiceLoginResource user) => $"BLOG_REDIS_{user.Account.RoleName.ToUpperInvariant()}_PASSWORD";
}
