using System.Globalization;

namespace Blog.Benchmarks;

/// <summary>
/// Peak resident memory of a process from Linux's /proc: VmHWM ("high water mark") in /proc/PID/status, which writing
/// "5" to /proc/PID/clear_refs resets to the current RSS, so each measurement gets its own peak.
/// </summary>
public static class ProcessMemory
{
    public static long? ReadPeakBytes(int pid) => ReadStatusKilobytes(pid, "VmHWM:") * 1024;

    public static long? ReadCurrentBytes(int pid) => ReadStatusKilobytes(pid, "VmRSS:") * 1024;

    /// <summary>Resets the peak to the current RSS; false where the kernel or permissions do not allow it.</summary>
    public static bool TryResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static long? ParseStatusKilobytes(string status, string field)
    {
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var number = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(number, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static long? ReadStatusKilobytes(int pid, string field)
    {
        try
        {
            return ParseStatusKilobytes(File.ReadAllText($"/proc/{pid}/status"), field);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The process whose environment holds <c>{name}={value}</c> and whose command line mentions
    /// <paramref name="commandLinePart"/>. Aspire starts a project as "dotnet run --no-build ...", which starts the
    /// service as its child with the same environment: the child is the service, so "dotnet run" itself is skipped.
    /// </summary>
    public static int? FindByEnvironment(string name, string value, string commandLinePart)
    {
        var wanted = $"{name}={value}";
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (!commandLine.Contains(commandLinePart, StringComparison.Ordinal) || IsDotnetRun(commandLine))
                {
                    continue;
                }

                if (File.ReadAllText(Path.Combine(directory, "environ")).Split('\0').Contains(wanted, StringComparer.Ordinal))
                {
                    return pid;
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile, or is not ours to read.
            }
        }

        return null;
    }

    public static bool IsDotnetRun(string commandLine)
    {
        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Length > 1 && Path.GetFileName(words[0]) == "dotnet" && words[1] == "run";
    }
}
