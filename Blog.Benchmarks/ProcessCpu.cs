using System.Globalization;

namespace Blog.Benchmarks;

/// <summary>
/// CPU time a process has used (user + system, /proc/PID/stat), so a measurement can say what each request cost the
/// service itself: on a busy machine a rate moves with everything else running, the CPU per request far less.
/// </summary>
public static class ProcessCpu
{
    /// <summary>Linux's USER_HZ: /proc reports CPU time in these ticks (100 per second on every common kernel).</summary>
    private const double TicksPerSecond = 100;

    public static TimeSpan? ReadTotal(int pid)
    {
        try
        {
            // Fields after the command name (which may hold spaces, so split after its closing parenthesis):
            // state is field 3, utime field 14, stime field 15.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
