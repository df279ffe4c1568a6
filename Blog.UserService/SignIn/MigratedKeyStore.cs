using System.Xml.Linq;
using Blog.ServiceDefaults.Database;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace Blog.UserService.SignIn;

/// <summary>
/// The data-protection key store (the users database) reached only once the database is migrated. Data protection
/// reads its key ring at the first protect or unprotect, which can come while the service starts (a health probe goes
/// through authentication): before the key table exists, that read failed and logged errors.
/// </summary>
internal sealed class MigratedKeyStore(IXmlRepository database, IReadOnlyList<IDatabaseReadiness> readiness) : IXmlRepository
{
    /// <summary>Longer than a start takes; past it the read goes ahead and fails as it would have.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        WaitUntilMigrated();
        return database.GetAllElements();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        WaitUntilMigrated();
        database.StoreElement(element, friendlyName);
    }

    private void WaitUntilMigrated() => SpinWait.SpinUntil(() => readiness.All(database => database.IsComplete), MaxWait);

    /// <summary>Wraps the store that PersistKeysToDbContext configured (so call this after it).</summary>
    public static void WrapConfiguredStore(IServiceCollection services)
        => services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new MigratedKeyStore(
                options.XmlRepository ?? throw new InvalidOperationException("No key store configured to wrap."),
                [.. provider.GetServices<IDatabaseReadiness>()])));
}
