using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using System.Text.RegularExpressions;
using Blog.AppHost.Infrastructure;
using Blog.PostService.Authentication;
using Blog.PostService.Diagnostics;
using Blog.PostService.OpenApi;
using Blog.ServiceDefaults.RateLimiting;
using Blog.Web.Extensions;

namespace Blog.Tests.Docs;

/// <summary>
/// docs/oauth.md's settings table against the code: every property of the options classes is a row, and each row's
/// default is the property's default (by value: <c>00:00:00.25</c> and <c>00:00:00.2500000</c> are the same).
/// </summary>
public sealed partial class SettingsTableTests
{
    /// <summary>Rows the test cannot reflect on (read straight from configuration, or documented as a group).</summary>
    private static readonly HashSet<string> NotFromOptionsClasses =
    [
        BlogInfrastructureExtensions.DataDirectoryKey,
        "Infrastructure:PostgresBinDirectory",
        "PostService:Replicas",
        "UserService:Replicas",
        "UserService:PublicUrl",
    ];

    [Fact]
    public void Every_option_is_in_the_table_with_its_default()
    {
        var table = ReadTable();
        var expected = new Dictionary<string, object?>(StringComparer.Ordinal);
        var userService = LoadUserServiceAssembly();
        AddOptions(expected, userService.GetType("Blog.UserService.Authorization.AuthorizationServerOptions", throwOnError: true)!);
        AddOptions(expected, userService.GetType("Blog.UserService.Authorization.TokenEndpointRateLimitOptions", throwOnError: true)!);
        AddOptions(expected, userService.GetType("Blog.UserService.Authorization.RegistrationRateLimitOptions", throwOnError: true)!);
        AddOptions(expected, userService.GetType("Blog.UserService.Authorization.LoginThrottleOptions", throwOnError: true)!);
        AddOptions(expected, typeof(TokenValidationOptions));
        AddOptions(expected, typeof(RejectedTokenLimitOptions));
        AddOptions(expected, typeof(ForwardedHeadersSettings));
        AddOptions(expected, typeof(DiagnosticsOptions));
        AddOptions(expected, typeof(BlogWebOptions));
        expected[InfrastructureModeSetting.Key] = InfrastructureModeSetting.Parse(null).ToString().ToLowerInvariant();
        expected[PostServiceOpenApi.TokenUrlKey] = null;

        var missing = expected.Keys.Where(key => !table.ContainsKey(key)).ToList();
        Assert.True(missing.Count == 0, $"docs/oauth.md's settings table lacks: {string.Join(", ", missing)}");
        var unknown = table.Keys.Where(key => !expected.ContainsKey(key) && !NotFromOptionsClasses.Contains(key)).ToList();
        Assert.True(unknown.Count == 0, $"docs/oauth.md's settings table names settings no options class has: {string.Join(", ", unknown)}");

        foreach (var (key, value) in expected)
        {
            var documented = table[key].Default;
            if (IsUnset(value))
            {
                Assert.True(documented is null, $"{key}: the code has no default, the table says `{documented}`");
            }
            else
            {
                Assert.True(documented is not null, $"{key}: the table gives no default, the code's is {Format(value)}");
                Assert.True(Equals(value, Parse(documented, value!.GetType())), $"{key}: the table says `{documented}`, the code {Format(value)}");
            }
        }
    }

    [Fact]
    public void The_development_overrides_are_in_the_table()
    {
        var table = ReadTable();
        using var settings = JsonDocument.Parse(RepositoryFiles.ReadAllText("Blog.UserService/appsettings.Development.json"));
        foreach (var (key, value) in Leaves(settings.RootElement, ""))
        {
            Assert.True(table.TryGetValue(key, out var row), $"{key} (appsettings.Development.json) is not in the table");
            Assert.True(row.Development == value, $"{key}: Development sets `{value}`, the table says `{row.Development}`");
        }
    }

    private sealed record Row(string? Default, string? Development);

    /// <summary>The "## Settings" table: setting -> first backticked value of the default cell, and its "Development:" value.</summary>
    private static Dictionary<string, Row> ReadTable()
    {
        var text = RepositoryFiles.ReadAllText("docs/oauth.md");
        var start = text.IndexOf("\n## Settings\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/oauth.md has no '## Settings' section");
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        foreach (var line in text[start..].Split('\n').Where(line => line.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = line.Split('|').Select(cell => cell.Trim()).ToArray();
            var key = cells[1].Trim('`');
            var defaultCell = cells[2];
            var value = defaultCell.StartsWith('`') ? Backticked().Match(defaultCell).Groups[1].Value : null;
            var development = DevelopmentValue().Match(defaultCell) is { Success: true } match ? match.Groups[1].Value : null;
            Assert.True(rows.TryAdd(key, new Row(value, development)), $"{key} is in the table twice");
        }

        Assert.NotEmpty(rows);
        return rows;
    }

    /// <summary>Section:Property for each public settable property; nested option objects become Section:Property:Inner.</summary>
    private static void AddOptions(Dictionary<string, object?> expected, Type type)
    {
        var section = (string)type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        AddProperties(expected, section, Activator.CreateInstance(type)!);
    }

    private static void AddProperties(Dictionary<string, object?> expected, string prefix, object instance)
    {
        foreach (var property in instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(property => property.SetMethod?.IsPublic == true))
        {
            var value = property.GetValue(instance);
            var type = property.PropertyType;
            if (type.IsClass && type != typeof(string) && type != typeof(Uri) && !type.IsArray && value is not null)
            {
                AddProperties(expected, $"{prefix}:{property.Name}", value);
            }
            else
            {
                expected[$"{prefix}:{property.Name}"] = value;
            }
        }
    }

    private static bool IsUnset(object? value) => value is null || (value is string text && text.Length == 0) || value is Array { Length: 0 };

    private static object Parse(string text, Type type) => type switch
    {
        _ when type == typeof(TimeSpan) => TimeSpan.Parse(text, CultureInfo.InvariantCulture),
        _ when type == typeof(int) => int.Parse(text, CultureInfo.InvariantCulture),
        _ when type == typeof(bool) => bool.Parse(text),
        _ when type == typeof(string) => text,
        _ when type == typeof(Uri) => new Uri(text, UriKind.Absolute),
        _ => throw new InvalidOperationException($"no parser for {type}"),
    };

    private static string Format(object? value) => value switch
    {
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "(none)",
    };

    private static IEnumerable<(string Key, string Value)> Leaves(JsonElement element, string prefix)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            yield return (prefix, element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText());
            yield break;
        }

        foreach (var property in element.EnumerateObject())
        {
            foreach (var leaf in Leaves(property.Value, prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}"))
            {
                yield return leaf;
            }
        }
    }

    /// <summary>
    /// The user service's assembly, as the build left it next to its project (the tests do not reference the user service:
    /// it runs under the AppHost). Loaded in its own context, with its own dependencies, for reflection only.
    /// </summary>
    private static Assembly LoadUserServiceAssembly()
    {
        var projectDirectory = Path.GetDirectoryName(new Projects.Blog_UserService().ProjectPath)!;
        var configuration = typeof(SettingsTableTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(projectDirectory, "bin", configuration, "net10.0", "Blog.UserService.dll");
        Assert.True(File.Exists(path), $"{path} does not exist: build the solution ({configuration}) first");
        return new UserServiceLoadContext(path).LoadFromAssemblyPath(path);
    }

    private sealed class UserServiceLoadContext(string path) : AssemblyLoadContext("Blog.UserService (reflection)", isCollectible: true)
    {
        private readonly AssemblyDependencyResolver _resolver = new(path);

        protected override Assembly? Load(AssemblyName assemblyName)
            => _resolver.ResolveAssemblyToPath(assemblyName) is { } dependency ? LoadFromAssemblyPath(dependency) : null;
    }

    [GeneratedRegex("`([^`]*)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"Development: `([^`]*)`")]
    private static partial Regex DevelopmentValue();
}
