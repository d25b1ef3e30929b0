using System.Reflection;
using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Tests;

/// <summary>The daemon serves exactly the protocol's methods, and every engine error has a code.</summary>
public class ContractTests
{
    private static readonly Type[] HandlerTypes = typeof(DaemonHost).Assembly.GetTypes()
        .Where(t => t.Namespace == "UnitScope.Server.Handlers" && t.GetCustomAttribute<HandlesAttribute>() is not null)
        .ToArray();

    [Fact]
    public void Every_protocol_method_has_exactly_one_handler()
    {
        var served = HandlerTypes.Select(t => t.GetCustomAttribute<HandlesAttribute>()!.Method).ToList();
        served.Should().OnlyHaveUniqueItems();
        var declared = typeof(Methods).GetFields().Where(f => f.IsLiteral && !FromServer(f)).Select(f => (string)f.GetRawConstantValue()!)
            .Where(m => m != Methods.CancelRequest); // handled by StreamJsonRpc's cancellation strategy
        served.Should().BeEquivalentTo(declared);
    }

    private static bool FromServer(FieldInfo f) =>
        f.GetCustomAttribute<RequestAttribute>()?.FromServer == true || f.GetCustomAttribute<NotificationAttribute>()?.FromServer == true;

    [Fact]
    public void Daemon_to_client_methods_are_marked_and_have_no_handler()
    {
        var fromServer = typeof(Methods).GetFields().Where(f => f.IsLiteral && FromServer(f)).Select(f => (string)f.GetRawConstantValue()!).ToList();
        fromServer.Should().BeEquivalentTo(Methods.Progress, Methods.WorkDoneProgressCreate, Methods.CodeLensRefresh, Methods.CheckpointSummarized);
        HandlerTypes.Select(t => t.GetCustomAttribute<HandlesAttribute>()!.Method).Should().NotIntersectWith(fromServer);
    }

    [Fact]
    public void Handlers_have_the_protocol_types()
    {
        foreach (var field in typeof(Methods).GetFields().Where(f => f.IsLiteral))
        {
            var method = (string)field.GetRawConstantValue()!;
            var handler = HandlerTypes.SingleOrDefault(t => t.GetCustomAttribute<HandlesAttribute>()!.Method == method);
            if (handler is null) continue;
            var iface = handler.GetInterfaces().Single(i => i.IsGenericType);
            if (field.GetCustomAttribute<RequestAttribute>() is { } request)
            {
                iface.GetGenericTypeDefinition().Should().Be(typeof(IRequestHandler<,>), method);
                iface.GenericTypeArguments[0].Should().Be(request.ParamsType ?? typeof(NoParams), method);
                if (request.ResultType is not null) iface.GenericTypeArguments[1].Should().Be(request.ResultType, method);
            }
            else
            {
                iface.GetGenericTypeDefinition().Should().Be(typeof(INotificationHandler<>), method);
                iface.GenericTypeArguments[0].Should().Be(field.GetCustomAttribute<NotificationAttribute>()!.ParamsType ?? typeof(NoParams), method);
            }
        }
    }

    [Fact]
    public void Unloading_is_mutating_and_model_reading_or_adding_is_not()
    {
        Execution Of(string method) => HandlerTypes.Single(t => t.GetCustomAttribute<HandlesAttribute>()!.Method == method)
            .GetCustomAttribute<HandlesAttribute>()!.Execution;
        // A load only adds to the registry, atomically at its end: a slow one must not hold up hovers.
        Of(Methods.LoadModel).Should().Be(Execution.Background);
        Of(Methods.UnloadModel).Should().Be(Execution.Mutating);
        foreach (var m in new[] { Methods.Predict, Methods.UnitMap, Methods.ListLayers, Methods.ListModels, Methods.Hover,
                     Methods.Dissection, Methods.DissectedLayers, Methods.UnitCard })
            Of(m).Should().Be(Execution.Reading, m);
        // Minutes long: nothing may queue behind it.
        Of(Methods.Dissect).Should().Be(Execution.Background);
    }

    [Fact]
    public void Every_engine_error_kind_maps_to_the_protocol_kind_of_the_same_name_and_code()
    {
        foreach (var kind in Enum.GetValues<EngineErrorKind>())
        {
            Enum.TryParse<ErrorKind>(kind.ToString(), out var mapped).Should().BeTrue($"{kind} needs an ErrorKind and an ErrorCodes entry");
            RpcErrors.KindOf(kind).Should().Be(mapped);
            RpcErrors.From(new UnitScopeException(kind, "m")).ErrorCode.Should().Be(ErrorCodes.Of(mapped));
        }
    }
}
