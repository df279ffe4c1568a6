using Blog.ServiceDefaults.Security;

namespace Blog.TestKit;

/// <summary>What the post service writes in its logs about a token, which tests and the benchmark count.</summary>
public static class PostServiceLogs
{
    public const string IntrospectionText = "Introspecting token ";

    /// <summary>How the post service names a token in its logs (see <see cref="TokenHash"/>).</summary>
    public static string TokenId(string token) => TokenHash.Compute(token).TokenId;

    /// <summary>The line written once per introspection sent for this token.</summary>
    public static string IntrospectionLine(string token) => IntrospectionText + TokenId(token);
}
