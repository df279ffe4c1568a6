using Microsoft.Extensions.Configuration;

namespace Blog.AppHost;

public static class ServiceSettingsExtensions
{
    public const string SectionName = "ServiceSettings";

    /// <summary>
    /// Passes <c>ServiceSettings:{resource}:*</c> of the AppHost's configuration to the service as its own settings,
    /// e.g. <c>--ServiceSettings:userservice:RateLimiting:TokenEndpoint:PermitLimit=100000</c> for a benchmark run.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceSettings(this IResourceBuilder<ProjectResource> service)
    {
        var section = service.ApplicationBuilder.Configuration.GetSection($"{SectionName}:{service.Resource.Name}");
        foreach (var setting in section.AsEnumerable(makePathsRelative: true))
        {
            if (setting.Value is not null)
            {
                service.WithEnvironment(setting.Key.Replace(":", "__", StringComparison.Ordinal), setting.Value);
            }
        }

        return service;
    }
}
