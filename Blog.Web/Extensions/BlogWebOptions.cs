using System.ComponentModel.DataAnnotations;
using Blog.ServiceDefaults;
using Blog.ServiceDefaults.OAuth;

namespace Blog.Web.Extensions;

/// <summary>The front end's settings, section <c>BlogWeb</c>. The secret comes from the AppHost's parameter.</summary>
public sealed class BlogWebOptions
{
    public const string SectionName = "BlogWeb";

    /// <summary>The user service's public URL: the issuer its tokens name and where the browser signs in.</summary>
    [Required]
    public Uri? Authority { get; set; }

    public string ClientId { get; set; } = BlogClients.Web;

    /// <summary>The confidential client's secret (parameter <c>web-client-secret</c>).</summary>
    [Required, MinLength(16)]
    public string ClientSecret { get; set; } = "";

    /// <summary>The post service, by service discovery.</summary>
    [Required]
    public Uri PostService { get; set; } = new("https+http://" + BlogServiceNames.PostService);

    /// <summary>The user service's account API, by service discovery.</summary>
    [Required]
    public Uri UserService { get; set; } = new("https+http://" + BlogServiceNames.UserService);

    /// <summary>An access token this close to its end is refreshed before it is used.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:10:00")]
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A session unused this long ends (its tokens are forgotten; the person signs in again).</summary>
    [Range(typeof(TimeSpan), "00:05:00", "30.00:00:00")]
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long one call to the post or user service may take before the page says it is unavailable.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ServiceTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
