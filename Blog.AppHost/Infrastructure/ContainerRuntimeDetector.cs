using System.Diagnostics;

namespace Blog.AppHost.Infrastructure;

/// <summary>
/// Finds a working container runtime. A <c>docker</c> client on PATH proves nothing (it exists without a daemon),
/// so each candidate must answer <c>info</c> successfully within a short time.
/// </summary>
public static class ContainerRuntimeDetector
{
    private static readonly string[] Candidates = ["docker", "podman"];
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <returns>"docker" or "podman", or null when neither answers.</returns>
    public static string? FindWorkingRuntime()
    {
        foreach (var runtime in Candidates)
        {
            if (Answers(runtime))
            {
                return runtime;
            }
        }

        return null;
    }

    private static bool Answers(string runtime)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            // Drain the pipes so a chatty 'info' cannot block on a full buffer.
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(ProbeTimeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
