using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Blog.TestKit;

/// <summary>How the corpus sends raw bodies and what it demands of every refusal.</summary>
public static partial class BadInputHttp
{
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A body exactly as written, as UTF-8, except that each <c>&lt;0xHH&gt;</c> becomes that raw byte: so a table row can
    /// hold invalid UTF-8 and still read as text. <paramref name="mediaType"/> null sends no Content-Type at all.
    /// </summary>
    public static HttpContent RawBody(string text, string? mediaType = "application/json")
    {
        var bytes = new List<byte>();
        var position = 0;
        foreach (Match marker in RawByte().Matches(text))
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(text[position..marker.Index]));
            bytes.Add(Convert.ToByte(marker.Groups[1].Value, 16));
            position = marker.Index + marker.Length;
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(text[position..]));
        var content = new ByteArrayContent([.. bytes]);
        content.Headers.ContentType = mediaType is null ? null : new MediaTypeHeaderValue(mediaType);
        return content;
    }

    public static HttpRequestMessage Request(HttpMethod method, string uri, string? token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, uri) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    /// <summary>
    /// A refusal as the issue demands it: the expected 4xx, a ProblemDetails body whose status matches, a detail or
    /// per-field errors that name the problem (<paramref name="names"/>, case-insensitive, when given), no stack trace.
    /// </summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string? names, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var seen = $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType ?? "(no content type)"}: {Shorten(text)}";
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {seen}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"not ProblemDetails: {seen}");
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        var explained = (problem.TryGetProperty("detail", out var detail) && !string.IsNullOrWhiteSpace(detail.GetString()))
                        || (problem.TryGetProperty("errors", out var errors) && errors.EnumerateObject().Any());
        Assert.True(explained, $"the problem has neither a detail nor errors: {seen}");
        if (names is not null)
        {
            Assert.True(text.Contains(names, StringComparison.OrdinalIgnoreCase), $"the problem does not name '{names}': {seen}");
        }

        AssertNoStackTrace(text);
        AssertNoTypeName(text);
        return problem;
    }

    /// <summary>
    /// OpenIddict's endpoints answer in OAuth's format (RFC 6749 section 5.2), or ProblemDetails for what fails before
    /// OAuth's own checks (a form that cannot be read, a value the database cannot store).
    /// </summary>
    public static async Task AssertOAuthErrorOrProblemAsync(HttpResponseMessage response, string? names, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var seen = $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType ?? "(no content type)"}: {Shorten(text)}";
        Assert.True((int)response.StatusCode is >= 400 and < 500 and not 429, $"expected a 4xx refusal, got {seen}");
        using var document = JsonDocument.Parse(text);
        var body = document.RootElement;
        var named = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            ? body.TryGetProperty("detail", out var detail) && !string.IsNullOrWhiteSpace(detail.GetString())
            : body.TryGetProperty("error", out var error) && !string.IsNullOrWhiteSpace(error.GetString());
        Assert.True(named, $"neither an OAuth error nor a ProblemDetails with a detail: {seen}");
        if (names is not null)
        {
            Assert.True(text.Contains(names, StringComparison.OrdinalIgnoreCase), $"the answer does not name '{names}': {seen}");
        }
        AssertNoStackTrace(text);
        AssertNoTypeName(text);
    }

    private static void AssertNoStackTrace(string text)
        => Assert.False(StackTraceLine().IsMatch(text), $"the answer carries a stack trace: {Shorten(text)}");

    /// <summary>An answer speaks of fields and values, never of the .NET types behind them.</summary>
    public static void AssertNoTypeName(string text)
        => Assert.False(TypeName().IsMatch(text), $"the answer names a .NET type ('{TypeName().Match(text).Value}'): {Shorten(text)}");

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + "...";

    [GeneratedRegex(@"\b(System|Microsoft|Blog|Npgsql|OpenIddict|StackExchange)\.[A-Z]|\b(Int16|Int32|Int64|UInt32|String|Boolean|Guid|DateTimeOffset|Nullable|IReadOnlyList|JsonElement)\b|\b[A-Z]\w*(Request|Exception)\b|""(int|long|uint|string|bool|Guid)\??\s+\w+""")]
    private static partial Regex TypeName();

    [GeneratedRegex("<0x([0-9A-Fa-f]{2})>")]
    private static partial Regex RawByte();

    [GeneratedRegex(@"\bat [\w.`<>]+\(|\.cs:line \d+|StackTrace", RegexOptions.IgnoreCase)]
    private static partial Regex StackTraceLine();
}
