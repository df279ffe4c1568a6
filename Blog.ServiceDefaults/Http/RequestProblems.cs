using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.ServiceDefaults.Http;

/// <summary>
/// One rule, for every service, for what a client sends wrong: a 4xx ProblemDetails whose detail names the problem,
/// never a 500 and never an empty body. The services' own validation answers per field (ValidationProblem); this covers
/// what fails before a handler runs (unreadable or unknown JSON, a query value that is not a number, a body over the
/// limit, a malformed form) and what only the database can tell (a character it cannot store).
/// </summary>
public static class RequestProblems
{
    public static IServiceCollection AddRequestProblems(this IServiceCollection services, long maxRequestBodyBytes)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            ExplainStatus(context, maxRequestBodyBytes);
            // What the developer exception page would tell (the exception's type, stack, headers) is for the log only.
            context.ProblemDetails.Extensions.Remove("exception");
        });
        services.AddExceptionHandler<ClientErrorExceptionHandler>();
        // What no handler took is a bug: a 500 ProblemDetails in every case. By default the answer depends on the
        // client's Accept: a client accepting only HTML got a 500 without a body.
        services.Configure<ExceptionHandlerOptions>(options => options.ExceptionHandler = WriteUnexpectedErrorAsync);
        services.ConfigureHttpJsonOptions(json =>
        {
            // An unknown member is refused rather than dropped: a misspelt or unsupported field ("status", "roles")
            // would otherwise look accepted. A repeated one too: parsers disagree on which copy wins.
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            json.SerializerOptions.AllowDuplicateProperties = false;
        });
        // Binding failures throw in every environment (by default only in Development), so the handler can tell what failed.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>A bug's answer: says nothing of the exception (its type, message and stack are in the log, with the trace id).</summary>
    private static async Task WriteUnexpectedErrorAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status500InternalServerError,
            Title = "An unexpected error occurred",
            Detail = "The error has been logged; the request may be retried later.",
        };
        if (!await context.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new() { HttpContext = context, ProblemDetails = problem }))
        {
            // The writer declines when the client does not accept JSON; the answer is ProblemDetails all the same.
            problem.Extensions["traceId"] = System.Diagnostics.Activity.Current?.Id ?? context.TraceIdentifier;
            await context.Response.WriteAsJsonAsync(problem, options: null, contentType: "application/problem+json");
        }
    }

    /// <summary>A detail for the answers the framework gives with only a status (then written by status code pages).</summary>
    private static void ExplainStatus(ProblemDetailsContext context, long maxRequestBodyBytes)
    {
        if (!string.IsNullOrEmpty(context.ProblemDetails.Detail))
        {
            return;
        }

        context.ProblemDetails.Detail = context.ProblemDetails.Status switch
        {
            StatusCodes.Status404NotFound when context.HttpContext.GetEndpoint() is null
                => "No endpoint matches this path (an id in it may be malformed).",
            StatusCodes.Status404NotFound => "There is no such resource.",
            StatusCodes.Status405MethodNotAllowed => $"This path does not accept {context.HttpContext.Request.Method}.",
            StatusCodes.Status413PayloadTooLarge => $"The request body is larger than the {maxRequestBodyBytes} bytes allowed.",
            StatusCodes.Status415UnsupportedMediaType
                => $"This endpoint does not read a body of type '{context.HttpContext.Request.ContentType}'; JSON is sent as application/json.",
            _ => null,
        };
    }
}

/// <summary>Turns the exceptions a bad request causes into the 4xx ProblemDetails that names the problem.</summary>
internal sealed partial class ClientErrorExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    // PostgreSQL's "invalid byte sequence" and "untranslatable character" (e.g. NUL, which text columns cannot hold).
    private static readonly HashSet<string> UnstorableCharacterStates = ["22021", "22P05"];

    // The assemblies that read forms; their InvalidDataException means the form broke a limit or was malformed.
    private static readonly HashSet<string> FormReaders = ["Microsoft.AspNetCore.WebUtilities", "Microsoft.AspNetCore.Http"];

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Describe(exception) is not var (status, detail))
        {
            return false;
        }

        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = status, Detail = detail },
        });
    }

    private static (int Status, string Detail)? Describe(Exception exception) => exception switch
    {
        // Unreadable JSON (the inner JsonException names the path, e.g. "$.title"), an unparsable query or route value,
        // a missing body, an unsupported media type, a body over the limit: each carries its status and says what failed.
        BadHttpRequestException bad => (bad.StatusCode, bad.InnerException is JsonException json ? $"{WithoutTypes(bad.Message)} {Explain(json)}" : WithoutTypes(bad.Message)),
        InvalidDataException form when form.Source is { } source && FormReaders.Contains(source)
            => (StatusCodes.Status400BadRequest, $"The form cannot be read: {form.Message}"),
        _ when exception.AndInner().OfType<DbException>().FirstOrDefault() is { SqlState: { } state } && UnstorableCharacterStates.Contains(state)
            => (StatusCodes.Status400BadRequest, "The request holds a character that cannot be stored, such as NUL (U+0000)."),
        _ => null,
    };

    /// <summary>
    /// The framework's binding messages name the parameter as "Type name" ("int page", "RegisterRequest request"): the
    /// client knows fields and values, not the service's types, so only the name is kept.
    /// </summary>
    private static string WithoutTypes(string message) => ParameterWithType().Replace(message, "parameter \"${name}\"");

    /// <summary>System.Text.Json's messages name .NET types and members; this says the same in terms of the request.</summary>
    private static string Explain(JsonException json)
    {
        var path = json.Path ?? "$";
        var quoted = QuotedName().Match(json.Message) is { Success: true } match ? match.Groups["name"].Value : null;
        if (json.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return $"The field '{quoted}' is not accepted here.";
        }

        if (json.Message.Contains("uplicate", StringComparison.Ordinal))
        {
            return $"The field '{quoted}' is given more than once.";
        }

        if (json.Message.Contains("could not be converted to", StringComparison.Ordinal))
        {
            return path == "$"
                ? "The body is not of the expected shape (e.g. an array where an object is expected)."
                : $"The value at {path} is not of the expected kind (e.g. a number or array where text is expected).";
        }

        // The reader's own messages (a syntax error, invalid UTF-8, a truncated body) name no type; the path is kept.
        return $"The JSON is not valid at {path}: {TypeName().Replace(json.Message, "a value")}";
    }

    [GeneratedRegex(@"parameter ""(?:[^""]*\s)?(?<name>[^""\s]+)""")]
    private static partial Regex ParameterWithType();

    [GeneratedRegex("'(?<name>[^']*)'")]
    private static partial Regex QuotedName();

    [GeneratedRegex(@"\b(?:System|Microsoft|Blog)\.[\w.`\[\],]+")]
    private static partial Regex TypeName();
}
