using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace Blog.UserService.SignIn;

/// <summary>
/// The server-rendered pages of signing in (sign-in, consent, device verification, sign-out): plain HTML forms, no
/// script, under a strict Content-Security-Policy (nothing but this origin's stylesheet; forms post here, or to the
/// client the page sends the person back to; no framing), never stored by a cache, no referrer sent on.
/// </summary>
internal static class HtmlPage
{
    public const string StylesheetPath = "/signin/site.css";

    public static string Encode(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <param name="formTargets">Origins a form submission may end at besides this one (a client's redirect URI).</param>
    public static IResult Render(HttpContext context, string title, string body, IEnumerable<string?>? formTargets = null,
        int statusCode = StatusCodes.Status200OK)
    {
        var formAction = string.Join(' ', new[] { "'self'" }.Concat((formTargets ?? []).OfType<string>()).Distinct(StringComparer.Ordinal));
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src 'self'; img-src 'self'; form-action {formAction}; frame-ancestors 'none'; base-uri 'none'";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";

        var html = new StringBuilder()
            .Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Encode(title)).Append(" - Blog</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(StylesheetPath).Append("\"></head>\n<body><main>")
            .Append("<h1>").Append(Encode(title)).Append("</h1>\n")
            .Append(body)
            .Append("</main></body></html>\n");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }

    /// <summary>The hidden antiforgery field of a form (its cookie is set on the response).</summary>
    public static string AntiforgeryField(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return $"<input type=\"hidden\" name=\"{Encode(tokens.FormFieldName)}\" value=\"{Encode(tokens.RequestToken)}\">";
    }

    public static string HiddenField(string name, string? value)
        => $"<input type=\"hidden\" name=\"{Encode(name)}\" value=\"{Encode(value)}\">";

    public static string Paragraph(string text, string? cssClass = null)
        => cssClass is null ? $"<p>{Encode(text)}</p>\n" : $"<p class=\"{cssClass}\" role=\"alert\">{Encode(text)}</p>\n";

    /// <summary>The pages' one stylesheet (a file of this origin, as the policy allows no inline style).</summary>
    public const string Stylesheet = """
        body { font-family: system-ui, sans-serif; background: #f4f4f6; color: #1a1a1a; margin: 0; }
        main { max-width: 26rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
        h1 { font-size: 1.4rem; margin-top: 0; }
        label { display: block; margin-top: 1rem; font-weight: 600; }
        input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; margin-top: .25rem; }
        button { margin-top: 1.25rem; margin-right: .5rem; padding: .55rem 1.2rem; font-size: 1rem; border-radius: 4px; border: 1px solid #245; background: #245; color: #fff; cursor: pointer; }
        button.secondary { background: #fff; color: #245; }
        .error { color: #a00; font-weight: 600; }
        ul.scopes li { margin: .4rem 0; }
        code.user-code { font-size: 1.3rem; letter-spacing: .15rem; }
        """;
}
