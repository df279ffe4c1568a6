namespace Blog.ServiceDefaults;

public static class ExceptionChain
{
    /// <summary>The exception and its inner exceptions, outermost first: what a handler looks through for the cause.</summary>
    public static IEnumerable<Exception> AndInner(this Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }
}
