using System.Runtime.Versioning;
using System.Text;

namespace Blog.AppHost.Infrastructure.Local;

/// <summary>
/// Files that hold secrets (a server's configuration, a password file): readable by their owner only from the first
/// byte on. Setting the mode after writing would leave a moment in which anyone could read it, and a file that already
/// exists would keep its old mode, so any old file is removed and a new one created with mode 0600.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class SecretFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task WriteAsync(string path, string contents, CancellationToken cancellationToken)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly };
        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(contents), cancellationToken);
    }
}
