namespace UnitScope.Server.Rpc;

/// <summary>How a handler runs relative to the others.</summary>
public enum Execution
{
    /// <summary>Runs at once, on arrival, in arrival order: cheap synchronous state changes (lifecycle, document sync).</summary>
    Inline,
    /// <summary>Reads state; runs concurrently with other reads (forward passes still queue per device).</summary>
    Reading,
    /// <summary>
    /// Takes something away that reads may be using (unloading a model) or rewrites a file later loads read
    /// (a model description); waits for every earlier request and runs alone. Quick by nature: nothing
    /// slow may be mutating, or every request behind it waits.
    /// </summary>
    Mutating,
    /// <summary>
    /// Long work that takes nothing away from others: starts like a read, but later mutations and the reads
    /// behind them do not wait for it. Dissection and the other analyses hold a lease on their model, so an
    /// unload frees the model only when the work is done; loading a model only adds it to the registry, at its end.
    /// </summary>
    Background,
}

/// <summary>The wire method a handler class serves and how it runs.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class HandlesAttribute(string method, Execution execution) : Attribute
{
    public string Method { get; } = method;
    public Execution Execution { get; } = execution;
}

/// <summary>A request handler: one class per method, in its own file under Handlers/.</summary>
internal interface IRequestHandler<TRequest, TResponse>
{
    Task<TResponse> HandleAsync(TRequest request, CancellationToken ct);
}

/// <summary>A notification handler (no response).</summary>
internal interface INotificationHandler<TParams>
{
    Task HandleAsync(TParams notification, CancellationToken ct);
}

/// <summary>The request type of methods that take no params (<c>shutdown</c>, <c>exit</c>).</summary>
internal sealed record NoParams
{
    public static NoParams Instance { get; } = new();
}
