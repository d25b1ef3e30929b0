using System.Reflection;
using UnitScope.Server.Handlers;
using UnitScope.Server.Rpc;

namespace UnitScope.Server;

/// <summary>Every handler of a connection, and the endpoint object StreamJsonRpc calls for each.</summary>
internal static class HandlerCatalog
{
    public static IReadOnlyList<object> Create(Connection c)
    {
        var s = c.Services;
        return
        [
            new InitializeHandler(c),
            new InitializedHandler(c),
            new ShutdownHandler(c),
            new ExitHandler(c),
            new DidOpenHandler(c.Documents),
            new DidChangeHandler(c.Documents, c.Log),
            new DidCloseHandler(c.Documents),
            new HoverHandler(c.Documents, s.Models),
            new LoadModelHandler(s),
            new ListModelsHandler(s.Models),
            new UnloadModelHandler(s.Models),
            new ListLayersHandler(s.Models),
            new PredictHandler(s),
            new UnitMapHandler(s),
        ];
    }

    /// <summary>The object and method to register for a handler: a typed adapter that goes through <see cref="Connection"/>'s checks.</summary>
    public static (object Endpoint, MethodInfo Method) Endpoint(Connection connection, HandlesAttribute handles, object handler)
    {
        foreach (var i in handler.GetType().GetInterfaces().Where(i => i.IsGenericType))
        {
            var def = i.GetGenericTypeDefinition();
            var args = i.GenericTypeArguments;
            if (def == typeof(IRequestHandler<,>))
            {
                var type = typeof(RequestEndpoint<,>).MakeGenericType(args);
                var endpoint = Activator.CreateInstance(type, connection, handles, handler)!;
                return (endpoint, type.GetMethod(args[0] == typeof(NoParams) ? "InvokeWithoutParamsAsync" : "InvokeAsync")!);
            }
            if (def == typeof(INotificationHandler<>))
            {
                var type = typeof(NotificationEndpoint<>).MakeGenericType(args);
                var endpoint = Activator.CreateInstance(type, connection, handles, handler)!;
                return (endpoint, type.GetMethod(args[0] == typeof(NoParams) ? "InvokeWithoutParamsAsync" : "InvokeAsync")!);
            }
        }
        throw new InvalidOperationException($"{handler.GetType().Name} implements no handler interface.");
    }
}

internal sealed class RequestEndpoint<TRequest, TResponse>(Connection connection, HandlesAttribute handles, IRequestHandler<TRequest, TResponse> handler)
{
    public Task<TResponse> InvokeAsync(TRequest request, CancellationToken cancellationToken) =>
        connection.DispatchRequest(handles, handler, request, cancellationToken);

    public Task<TResponse> InvokeWithoutParamsAsync(CancellationToken cancellationToken) =>
        connection.DispatchRequest(handles, handler, (TRequest)(object)NoParams.Instance, cancellationToken);
}

internal sealed class NotificationEndpoint<TParams>(Connection connection, HandlesAttribute handles, INotificationHandler<TParams> handler)
{
    public Task InvokeAsync(TParams notification) => connection.DispatchNotification(handles, handler, notification);

    public Task InvokeWithoutParamsAsync() => connection.DispatchNotification(handles, handler, (TParams)(object)NoParams.Instance);
}
