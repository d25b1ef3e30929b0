namespace UnitScope.Protocol;

/// <summary>
/// Every method name on the wire. The attributes say what each one carries; the generator turns
/// them into <c>RequestMap</c>/<c>NotificationMap</c> and the daemon registers one handler per request.
/// </summary>
public static class Methods
{
    // LSP lifecycle and documents (the subset the daemon serves).

    [Request(typeof(InitializeParams), typeof(InitializeResult))]
    public const string Initialize = "initialize";

    [Notification(typeof(InitializedParams))]
    public const string Initialized = "initialized";

    /// <summary>No params; result null. After it only <c>exit</c> is accepted.</summary>
    [Request(null, null)]
    public const string Shutdown = "shutdown";

    /// <summary>Ends the process: exit code 0 after <c>shutdown</c>, 1 otherwise (LSP).</summary>
    [Notification(null)]
    public const string Exit = "exit";

    /// <summary>Handled by the JSON-RPC layer: cancels the request with that id (error -32800).</summary>
    [Notification(typeof(CancelParams))]
    public const string CancelRequest = "$/cancelRequest";

    [Notification(typeof(DidOpenTextDocumentParams))]
    public const string DidOpen = "textDocument/didOpen";

    [Notification(typeof(DidChangeTextDocumentParams))]
    public const string DidChange = "textDocument/didChange";

    [Notification(typeof(DidCloseTextDocumentParams))]
    public const string DidClose = "textDocument/didClose";

    /// <summary>The layer under the cursor, resolved against the active model; null when none.</summary>
    [Request(typeof(HoverParams), typeof(Hover), ResultNullable = true)]
    public const string Hover = "textDocument/hover";

    // UnitScope.

    /// <summary>Loads a checkpoint, or returns the model already loaded from the same bytes and options. It becomes the active model.</summary>
    [Request(typeof(LoadModelParams), typeof(ModelInfo))]
    public const string LoadModel = "unitscope/loadModel";

    [Request(typeof(ListModelsParams), typeof(ListModelsResult))]
    public const string ListModels = "unitscope/listModels";

    [Request(typeof(UnloadModelParams), typeof(UnloadModelResult))]
    public const string UnloadModel = "unitscope/unloadModel";

    [Request(typeof(ListLayersParams), typeof(ListLayersResult))]
    public const string ListLayers = "unitscope/listLayers";

    [Request(typeof(PredictParams), typeof(PredictResult))]
    public const string Predict = "unitscope/predict";

    [Request(typeof(UnitMapParams), typeof(UnitMapResult))]
    public const string UnitMap = "unitscope/unitMap";
}

/// <summary>Marks a <see cref="Methods"/> constant as a request: its params and result types (null: none / null).</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class RequestAttribute(Type? paramsType, Type? resultType) : Attribute
{
    public Type? ParamsType { get; } = paramsType;
    public Type? ResultType { get; } = resultType;
    /// <summary>The result may be null (e.g. no hover).</summary>
    public bool ResultNullable { get; init; }
}

/// <summary>Marks a <see cref="Methods"/> constant as a notification with its params type (null: none).</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class NotificationAttribute(Type? paramsType) : Attribute
{
    public Type? ParamsType { get; } = paramsType;
}
