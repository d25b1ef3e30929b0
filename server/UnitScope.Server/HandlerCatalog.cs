using System.Reflection;
using System.Text.Json;
using UnitScope.Protocol;
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
            new HoverHandler(c, s),
            new CodeLensHandler(c, s),
            new LoadModelHandler(c, s),
            new WriteModelDescriptionHandler(s),
            new ListModelsHandler(s.Models),
            new UnloadModelHandler(s.Models),
            new ListLayersHandler(s.Models),
            new PredictHandler(s),
            new UnitMapHandler(s),
            new DissectHandler(c, s),
            new DissectionHandler(s),
            new DissectedLayersHandler(s, c),
            new UnitCardHandler(s),
            new OccludeHandler(c, s),
            new AblateHandler(c, s),
            new RankUnitsHandler(c, s),
            new UnitClassStatsHandler(c, s),
            new UnitGalleryHandler(c, s),
            new VisualizeHandler(c, s),
            new HypothesisTestHandler(s),
            new InvarianceHandler(c, s),
            new CorrespondenceHandler(c, s),
            new ExplanatoryGraphHandler(c, s),
            new GraphNodeHandler(s),
            new AttackHandler(c, s),
            new CompareCheckpointsHandler(c, s),
            new EvolveHandler(c, s),
            new FollowRunHandler(c, s),
            new GanDissectHandler(c, s),
            new GanEditHandler(c, s),
            new WorkDoneProgressCancelHandler(c),
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

/// <summary>
/// Receives params as raw JSON and deserializes them itself (after the lifecycle checks), so that
/// params that do not fit the record give InvalidParams with the serializer's explanation.
/// </summary>
internal sealed class RequestEndpoint<TRequest, TResponse>(Connection connection, HandlesAttribute handles, IRequestHandler<TRequest, TResponse> handler)
{
    public Task<TResponse> InvokeAsync(JsonElement? request = null, CancellationToken cancellationToken = default) =>
        connection.DispatchRequest(handles, handler, request, cancellationToken);

    public Task<TResponse> InvokeWithoutParamsAsync(CancellationToken cancellationToken) =>
        connection.DispatchRequest(handles, handler, null, cancellationToken);
}

internal sealed class NotificationEndpoint<TParams>(Connection connection, HandlesAttribute handles, INotificationHandler<TParams> handler)
{
    public Task InvokeAsync(JsonElement? notification = null) => connection.DispatchNotification(handles, handler, notification);

    public Task InvokeWithoutParamsAsync() => connection.DispatchNotification(handles, handler, null);
}

internal static class Params
{
    /// <exception cref="StreamJsonRpc.LocalRpcException">InvalidParams.</exception>
    public static T Read<T>(JsonElement? raw, string method)
    {
        if (typeof(T) == typeof(NoParams)) return (T)(object)NoParams.Instance;
        if (raw is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } json)
            throw RpcErrors.InvalidParams($"'{method}' needs params.");
        if (json.ValueKind != JsonValueKind.Object)
            throw RpcErrors.InvalidParams($"'{method}' takes one params object; got {json.ValueKind.ToString().ToLowerInvariant()}.");
        try
        {
            return json.Deserialize<T>(ProtocolJson.Options) ?? throw RpcErrors.InvalidParams($"'{method}' needs params.");
        }
        catch (JsonException e)
        {
            throw RpcErrors.InvalidParams($"Invalid params for '{method}': {e.Message}");
        }
    }
}
