namespace Blog.ServiceDefaults;

/// <summary>
/// The AppHost's resource names of the services, which are also their service-discovery host names (the issuer
/// is http://userservice/). Compiled into the AppHost too (linked, so that it takes no dependency on the services' packages).
/// </summary>
public static class BlogServiceNames
{
    public const string UserService = "userservice";
    public const string PostService = "postservice";
    public const string Web = "web";
}
