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
        foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                service.WithEnvironment(key.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }

        return service;
    }
}
