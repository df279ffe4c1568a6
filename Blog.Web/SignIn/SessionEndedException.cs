namespace Blog.Web.SignIn;

/// <summary>
/// The person's login is over at the user service (tokens revoked: signed out everywhere, access withdrawn, password
/// changed, account locked): the app signs them out here too and says so.
/// </summary>
public sealed class SessionEndedException(string message) : Exception(message);

/// <summary>A service the page needs did not answer (down, restarting, too slow): the page says so with 503.</summary>
public sealed class ServiceUnavailableException(string service, Exception? inner = null)
    : Exception($"The {service} is not answering.", inner)
{
    public string Service { get; } = service;
}
