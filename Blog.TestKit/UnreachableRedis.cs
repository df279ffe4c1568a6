namespace Blog.TestKit;

/// <summary>A Redis that is never there, for tests of what a service does without one.</summary>
public static class UnreachableRedis
{
    /// <summary>Nothing listens on port 1: every command fails at once, as when a service cannot reach Redis.</summary>
    public const string ConnectionString = "127.0.0.1:1,abortConnect=false,connectTimeout=200,connectRetry=0";
}
