using System.Reflection;
using System.Xml.Linq;
using OpenIddict.Validation;

namespace Blog.UnitTests.Security;

/// <summary>
/// Package versions below a published security fix. A row here is an advisory the project has answered: the test
/// fails should a version be lowered (or a new OpenIddict package be pinned below the fix).
/// </summary>
public sealed class DependencyAdvisoryTests
{
    /// <summary>GHSA-cxgj-hwwh-855g: OpenIddict's validation stack did not validate authorization entries correctly; fixed in 7.9.0.</summary>
    private static readonly Version OpenIddictFixed = new(7, 9, 0);

    [Fact]
    public void Every_OpenIddict_package_is_pinned_at_or_above_the_advisory_fix()
    {
        var props = XDocument.Load(Path.Combine(RepositoryFiles.Root, "Directory.Packages.props"));
        var properties = props.Descendants("PropertyGroup").Elements().ToDictionary(element => element.Name.LocalName, element => element.Value);
        var pinned = props.Descendants("PackageVersion")
            .Where(package => ((string?)package.Attribute("Include"))?.StartsWith("OpenIddict", StringComparison.Ordinal) == true)
            .Select(package => (Name: (string)package.Attribute("Include")!, Version: Resolve((string)package.Attribute("Version")!, properties)))
            .ToList();

        Assert.NotEmpty(pinned);
        Assert.All(pinned, package => Assert.True(Version.Parse(package.Version) >= OpenIddictFixed,
            $"{package.Name} {package.Version} is below {OpenIddictFixed} (GHSA-cxgj-hwwh-855g)."));
    }

    [Fact]
    public void The_post_service_runs_an_OpenIddict_validation_at_or_above_the_advisory_fix()
    {
        var informational = typeof(OpenIddictValidationOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var version = Version.Parse(informational.Split('+', '-')[0]);
        Assert.True(version >= OpenIddictFixed, $"OpenIddict.Validation {informational} is below {OpenIddictFixed}.");
    }

    private static string Resolve(string version, IReadOnlyDictionary<string, string> properties)
        => version.StartsWith("$(", StringComparison.Ordinal) ? properties[version[2..^1]] : version;
}
