using System.Diagnostics;

namespace Blog.AppHost.Infrastructure.Local;

/// <summary>
/// Runs local server binaries. PostgreSQL refuses to run as root, so under root every command goes through
/// <c>setpriv</c> as the service account the Debian package created; setpriv execs, so a stop signal reaches
/// the command it runs.
/// </summary>
internal sealed record ServiceAccountLauncher(string Command, IReadOnlyList<string> PrefixArguments, string? Account)
{
    private const string SetprivPath = "/usr/bin/setpriv";

    public static ServiceAccountLauncher For(string serverBinary, string account)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return new ServiceAccountLauncher(serverBinary, [], null);
        }

        if (!File.Exists(SetprivPath))
        {
            throw new InfrastructureConfigurationException(
                $"Running as root needs {SetprivPath} to start {Path.GetFileName(serverBinary)} as '{account}': apt-get install util-linux.");
        }

        return new ServiceAccountLauncher(
            SetprivPath,
            [$"--reuid={account}", $"--regid={account}", "--init-groups", "--", serverBinary],
            account);
    }

    /// <summary>The full argument list for running <paramref name="binary"/> (not necessarily the server) as the account.</summary>
    public (string Command, IReadOnlyList<string> Arguments) Wrap(string binary, IEnumerable<string> arguments)
        => Account is null
            ? (binary, arguments.ToList())
            : (SetprivPath, [$"--reuid={Account}", $"--regid={Account}", "--init-groups", "--", binary, .. arguments]);

    /// <summary>Gives the account a directory it must own (a no-op when not running as root).</summary>
    public async Task GiveOwnershipAsync(string directory, CancellationToken cancellationToken)
    {
        if (Account is not null)
        {
            await LocalProcess.RunAsync("chown", ["-R", $"{Account}:{Account}", directory], cancellationToken);
        }
    }
}

internal static class LocalProcess
{
    public static async Task RunAsync(string command, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {command}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{command} {string.Join(' ', startInfo.ArgumentList)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }

    /// <summary>The first executable named <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
