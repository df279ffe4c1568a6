using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Blog.Tests.Docs;
using Blog.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.Tests.Reliability;

/// <summary>
/// No secret in the repository: neither a value the running application uses (generated parameters, infrastructure
/// passwords) nor anything that looks like a credential literal in the tracked files.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RepositorySecretScanTests(BlogAppFixture fixture)
{
    [Fact]
    public void No_tracked_file_holds_a_private_key_a_credential_literal_or_a_key_like_literal()
    {
        var files = TrackedTextFiles();
        Assert.Contains(files, file => file.Path == "Blog.AppHost/Identity/IdentityParameters.cs"); // the scan sees the source

        var findings = files.SelectMany(file => SecretScanner.Find(file.Path, file.Text)).ToList();

        Assert.True(findings.Count == 0, string.Join('\n', findings));
    }

    [Fact]
    public async Task No_tracked_file_holds_a_secret_the_running_application_uses()
    {
        var secrets = new Dictionary<string, string>();
        // Every secret parameter of the model: the generated passwords of the infrastructure included.
        var secretParameters = fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Where(parameter => parameter.Secret).Select(parameter => parameter.Name).ToList();
        Assert.Contains("post-service-cache-key", secretParameters);
        foreach (var name in secretParameters)
        {
            secrets[name] = await fixture.GetParameterValueAsync(name);
        }

        secrets["redis password"] = StackExchange.Redis.ConfigurationOptions.Parse(await fixture.App.GetConnectionStringAsync(BlogResources.Redis) ?? "").Password!;
        secrets["postgres password"] = (string)new System.Data.Common.DbConnectionStringBuilder { ConnectionString = await fixture.App.GetConnectionStringAsync(BlogResources.Postgres) }["Password"];

        var findings = TrackedTextFiles()
            .SelectMany(file => secrets.Where(secret => file.Text.Contains(secret.Value, StringComparison.Ordinal)).Select(secret => $"{file.Path}: the {secret.Key}"))
            .ToList();

        Assert.True(findings.Count == 0, string.Join('\n', findings));
    }

    /// <summary>The scanner is able to fail: each kind of secret is found, placeholders and references are not.</summary>
    [Theory]
    [InlineData("pem")]
    [InlineData("connection string")]
    [InlineData("json")]
    [InlineData("shell")]
    [InlineData("base64 key")]
    [InlineData("hex key")]
    public void The_scanner_finds_each_kind_of_secret(string kind)
    {
        // Fixed bytes, so the sample is the same every run (digits, lower and upper case all in it).
        var bytes = new byte[33];
        new Random(7).NextBytes(bytes);
        var invented = Convert.ToBase64String(bytes);
        var (path, text) = kind switch
        {
            // Put together here, so that this file holds no such literal itself.
            "pem" => ("Blog.Tests/key.txt", "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"),
            "connection string" => ("Blog.UserService/Db.cs", "var cs = \"Host=db;Username=app;" + "Password=" + invented + "\";"),
            "json" => ("Blog.UserService/appsettings.Production.json", "{ \"AuthorizationServer\": { \"PostService" + "ClientSecret\": \"s3cr3t-value\" } }"),
            "shell" => ("scripts/deploy.sh", "export DB_" + "PASSWORD='s3cr3t-value'\n"),
            "base64 key" => ("Blog.AppHost/Keys.cs", "const string Key = \"" + invented + "\";"),
            "hex key" => ("Blog.AppHost/Keys.cs", "const string Key = \"" + Convert.ToHexString(SHA256.HashData(bytes)) + "\";"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        Assert.NotEmpty(SecretScanner.Find(path, text));
    }

    [Theory]
    [InlineData("http/tour.http", "@password = Tour-Passw0rd!")]
    [InlineData("http/userservice.http", "@adminPassword = {{$processEnv BLOG_ADMIN_PASSWORD}}\ngrant_type=password&password={{password}}")]
    [InlineData("Blog.AppHost/Infrastructure/Local/LocalPostgresResources.cs", "$\"Host={Host};Username={UserName};Password={PasswordParameter}\"")]
    [InlineData("Blog.AppHost/AppHost.cs", ".WithEnvironment(\"AuthorizationServer__PostServiceClientSecret\", identity.PostServiceClientSecret)")]
    [InlineData("Blog.Tests/Fixtures/Sample.cs", "[\"Authentication:ClientSecret\"] = \"test-secret-not-used-for-anything\"")]
    [InlineData("Blog.UnitTests/Sample.cs", "[\"Authentication:ClientSecret\"] = \"test-secret-not-used-for-anything\"")]
    public void The_scanner_leaves_placeholders_references_and_test_values_alone(string path, string text)
        => Assert.Empty(SecretScanner.Find(path, text));

    private static List<(string Path, string Text)> TrackedTextFiles()
    {
        var git = new ProcessStartInfo("git", ["-C", RepositoryFiles.Root, "ls-files", "-z"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(git) ?? throw new InvalidOperationException("git could not be started");
        var listing = process.StandardOutput.ReadToEnd();
        process.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, "git ls-files failed: the repository scan needs git and a checkout");
        return [.. listing.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(path => (Path: path, Full: Path.Combine(RepositoryFiles.Root, path)))
            .Where(file => File.Exists(file.Full))
            .Select(file => (file.Path, Text: File.ReadAllText(file.Full)))
            .Where(file => !file.Text.Contains('\0'))]; // binary
    }
}

/// <summary>Secret-looking literals in a file's text. Test code may hold invented credentials; it is checked for private keys only.</summary>
internal static partial class SecretScanner
{
    /// <summary>Sample passwords the documentation shows on purpose: for a user the reader registers in the tour or the .http files.</summary>
    private static readonly HashSet<string> DocumentedPlaceholders = ["Tour-Passw0rd!", "Http-Passw0rd!", "Http-Passw0rd!2"];

    private static readonly string[] TestCodeFolders = ["Blog.Tests/", "Blog.UnitTests/", "Blog.TestKit/"];

    public static IEnumerable<string> Find(string path, string text)
    {
        foreach (Match match in PrivateKeyBlock().Matches(text))
        {
            yield return Describe(path, text, match, "a PEM private key");
        }

        if (TestCodeFolders.Any(folder => path.StartsWith(folder, StringComparison.Ordinal)))
        {
            yield break;
        }

        foreach (Match match in ConnectionStringPassword().Matches(text))
        {
            yield return Describe(path, text, match, "a password in a connection string");
        }

        if (!path.EndsWith(".cs", StringComparison.Ordinal))
        {
            // Shell, .http, .env, YAML: NAME=value or NAME: value with a literal value.
            foreach (Match match in CredentialAssignment().Matches(text))
            {
                var value = match.Groups["value"].Value.Trim('"', '\'');
                if (value.Length > 0 && !IsReference(value) && !DocumentedPlaceholders.Contains(value))
                {
                    yield return Describe(path, text, match, $"a literal for '{match.Groups["name"].Value}'");
                }
            }
        }

        // JSON and C# alike: "...Password": "literal", ["...:ClientSecret"] = "literal".
        foreach (Match match in QuotedCredential().Matches(text))
        {
            if (!IsReference(match.Groups["value"].Value) && !DocumentedPlaceholders.Contains(match.Groups["value"].Value))
            {
                yield return Describe(path, text, match, $"a literal for \"{match.Groups["name"].Value}\"");
            }
        }

        foreach (Match match in KeyLikeRun().Matches(text))
        {
            var run = match.Value;
            var mixed = run.Any(char.IsDigit) && run.Any(char.IsLower) && run.Any(char.IsUpper);
            var hex = run.All(char.IsAsciiHexDigit);
            if ((mixed || hex) && Entropy(run) >= 3.5)
            {
                yield return Describe(path, text, match, "a key-like literal");
            }
        }
    }

    private static bool IsReference(string value) => value.StartsWith('{') || value.StartsWith('$') || value.StartsWith('<');

    /// <summary>Where, and what kind: never the value itself.</summary>
    private static string Describe(string path, string text, Match match, string what)
        => $"{path}:{text.AsSpan(0, match.Index).Count('\n') + 1}: {what}";

    /// <summary>Shannon entropy in bits per character: random keys are high, words and identifiers lower.</summary>
    private static double Entropy(string run)
        => -run.GroupBy(character => character)
            .Select(group => (double)group.Count() / run.Length)
            .Sum(probability => probability * Math.Log2(probability));

    [GeneratedRegex(@"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")]
    private static partial Regex PrivateKeyBlock();

    [GeneratedRegex(@"(?i)(?<![\w])(?:password|pwd)=(?<value>[^;""'\s{}$<>&]+)")]
    private static partial Regex ConnectionStringPassword();

    [GeneratedRegex(@"(?im)^[ \t]*(?:export[ \t]+)?@?(?<name>[\w.-]*(?:password|passwd|pwd|secret|api_?key|private_?key)[\w.-]*)[ \t]*[=:][ \t]*(?<value>[^\s#]+)")]
    private static partial Regex CredentialAssignment();

    [GeneratedRegex(@"(?i)""(?<name>[^""\n]*(?:password|passwd|pwd|secret|api_?key|private_?key|signing_?key|encryption_?key)[^""\n]*)""\s*\]?\s*[:=]\s*""(?<value>[^""\n]+)""")]
    private static partial Regex QuotedCredential();

    [GeneratedRegex(@"[A-Za-z0-9+/_-]{40,}={0,2}")]
    private static partial Regex KeyLikeRun();
}
