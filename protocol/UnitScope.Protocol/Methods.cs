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

    /// <summary>Daemon → client: work-done progress and partial results of a request that carried a token.</summary>
    [Notification(typeof(ProgressParams), FromServer = true)]
    public const string Progress = "$/progress";

    /// <summary>Daemon → client, only when the client advertised <c>window.workDoneProgress</c> and sent no <c>workDoneToken</c>.</summary>
    [Request(typeof(WorkDoneProgressCreateParams), null, FromServer = true)]
    public const string WorkDoneProgressCreate = "window/workDoneProgress/create";

    /// <summary>Client → daemon: cancels the request whose progress uses this daemon-created token.</summary>
    [Notification(typeof(WorkDoneProgressCancelParams))]
    public const string WorkDoneProgressCancel = "window/workDoneProgress/cancel";

    [Notification(typeof(DidOpenTextDocumentParams))]
    public const string DidOpen = "textDocument/didOpen";

    [Notification(typeof(DidChangeTextDocumentParams))]
    public const string DidChange = "textDocument/didChange";

    [Notification(typeof(DidCloseTextDocumentParams))]
    public const string DidClose = "textDocument/didClose";

    /// <summary>The layer under the cursor, resolved against the active model; null when none.</summary>
    [Request(typeof(HoverParams), typeof(Hover), ResultNullable = true)]
    public const string Hover = "textDocument/hover";

    /// <summary>Lenses above each layer definition the active model has: labelled units, dissect, ablate; none without an active model.</summary>
    [Request(typeof(CodeLensParams), typeof(IReadOnlyList<CodeLens>), ResultNullable = true)]
    public const string CodeLens = "textDocument/codeLens";

    /// <summary>Daemon → client, when the client advertised <c>workspace.codeLens.refreshSupport</c>: a model was loaded or unloaded, or a dissection ended.</summary>
    [Request(null, null, FromServer = true)]
    public const string CodeLensRefresh = "workspace/codeLens/refresh";

    // UnitScope.

    /// <summary>Loads a checkpoint, or returns the model already loaded from the same bytes and options. It becomes the active model.</summary>
    [Request(typeof(LoadModelParams), typeof(ModelInfo))]
    public const string LoadModel = "unitscope/loadModel";

    /// <summary>Writes (or updates) a model's description file, <c>NAME.unitscope.json</c> beside it; the next load reads it.</summary>
    [Request(typeof(WriteModelDescriptionParams), typeof(WriteModelDescriptionResult))]
    public const string WriteModelDescription = "unitscope/writeModelDescription";

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

    /// <summary>Dissects layers (network dissection) with work-done progress, partial results and cancellation; results are cached.</summary>
    [Request(typeof(DissectParams), typeof(DissectResult))]
    public const string Dissect = "unitscope/dissect";

    /// <summary>A layer's cached dissection, or null when it has none for that dataset and options.</summary>
    [Request(typeof(DissectionParams), typeof(LayerDissection), ResultNullable = true)]
    public const string Dissection = "unitscope/dissection";

    /// <summary>The layers of a model with cached dissections.</summary>
    [Request(typeof(DissectedLayersParams), typeof(DissectedLayersResult))]
    public const string DissectedLayers = "unitscope/dissectedLayers";

    /// <summary>A PNG of a dissected unit's top images with its "on" region outlined.</summary>
    [Request(typeof(UnitCardParams), typeof(UnitCardResult))]
    public const string UnitCard = "unitscope/unitCard";

    /// <summary>Occlusion sensitivity of one image (figure 7 of Zeiler and Fergus) with work-done progress and cancellation.</summary>
    [Request(typeof(OccludeParams), typeof(OccludeResult))]
    public const string Occlude = "unitscope/occlude";

    /// <summary>A unit's strongest activations over a dataset with their receptive-field patches and projections to the pixels (Zeiler and Fergus figure 2), with work-done progress and cancellation; with cachedOnly, null unless the top-k pass is cached.</summary>
    [Request(typeof(UnitGalleryParams), typeof(UnitGalleryResult), ResultNullable = true)]
    public const string UnitGallery = "unitscope/unitGallery";

    /// <summary>Per-class accuracy before and after zeroing units of a layer, with a random control; the model is unchanged afterwards.</summary>
    [Request(typeof(AblateParams), typeof(AblateResult))]
    public const string Ablate = "unitscope/ablate";

    /// <summary>A layer's units ranked by what zeroing each alone costs a class, and the top-k vs random-k curve; partial results carry the units as they are measured.</summary>
    [Request(typeof(RankUnitsParams), typeof(RankUnitsResult))]
    public const string RankUnits = "unitscope/rankUnits";

    /// <summary>A unit's activation on a class's images vs the rest (a single-unit classifier), with a jitter plot.</summary>
    [Request(typeof(UnitClassStatsParams), typeof(UnitClassStatsResult))]
    public const string UnitClassStats = "unitscope/unitClassStats";

    /// <summary>Activation maximisation of a unit (multi-scale, seeded) with progress, each round's image as a partial result, and cancellation; then the hypothesis test on the image.</summary>
    [Request(typeof(VisualizeParams), typeof(VisualizeResult), ResultNullable = true)]
    public const string Visualize = "unitscope/visualize";

    /// <summary>A layer's mean activation per unit on a real image, and the chosen unit's rank among them (seed 004's hypothesis test).</summary>
    [Request(typeof(HypothesisTestParams), typeof(HypothesisTestResult))]
    public const string HypothesisTest = "unitscope/hypothesisTest";

    /// <summary>Invariance curves (figure 5 of Zeiler and Fergus): feature distances and the true class's probability as images are translated, rotated and scaled.</summary>
    [Request(typeof(InvarianceParams), typeof(InvarianceResult))]
    public const string Invariance = "unitscope/invariance";

    /// <summary>Correspondence (table 1 of Zeiler and Fergus): the consistency Δ of feature changes when the same part is hidden in several images, against random boxes.</summary>
    [Request(typeof(CorrespondenceParams), typeof(CorrespondenceResult))]
    public const string Correspondence = "unitscope/correspondence";

    /// <summary>The explanatory graph (seed 002): part patterns of several conv layers mined top-down over images of one class, with progress and cancellation.</summary>
    [Request(typeof(ExplanatoryGraphParams), typeof(ExplanatoryGraphResult))]
    public const string ExplanatoryGraph = "unitscope/explanatoryGraph";

    /// <summary>One node of a cached explanatory graph: the image patches where it fires most strongly.</summary>
    [Request(typeof(GraphNodeParams), typeof(GraphNodeResult))]
    public const string GraphNode = "unitscope/graphNode";

    /// <summary>Adversarial unit analysis (seed 000): FGSM/PGD on one image, the layer's most changed units with their maps before and after, against the classes' rankings.</summary>
    [Request(typeof(AttackParams), typeof(AttackResult))]
    public const string Attack = "unitscope/attack";

    /// <summary>Two checkpoints compared layer by layer: linear CKA, units matched by activation correlation, label changes.</summary>
    [Request(typeof(CompareCheckpointsParams), typeof(CompareCheckpointsResult))]
    public const string CompareCheckpoints = "unitscope/compareCheckpoints";

    /// <summary>A training run as a timeline: per checkpoint (in training order) the layers' activation statistics, weight change and optionally labelled units; partial results per checkpoint.</summary>
    [Request(typeof(EvolveParams), typeof(EvolveResult))]
    public const string Evolve = "unitscope/evolve";

    /// <summary>A training run followed: its stored checkpoint summaries now, every other checkpoint summarised in the background at low priority once completely written.</summary>
    [Request(typeof(FollowRunParams), typeof(FollowRunResult))]
    public const string FollowRun = "unitscope/followRun";

    /// <summary>Daemon → client: a followed run's checkpoint was summarised in the background.</summary>
    [Notification(typeof(CheckpointSummarizedParams), FromServer = true)]
    public const string CheckpointSummarized = "unitscope/checkpointSummarized";

    /// <summary>GAN dissection of a generator layer: its units labelled by the concepts the segmenter finds where they are on, over seeded samples.</summary>
    [Request(typeof(GanDissectParams), typeof(GanDissectResult))]
    public const string GanDissect = "unitscope/ganDissect";

    /// <summary>GAN intervention: a concept's units ablated (against random units) and forced on inside a region, measured by the segmenter.</summary>
    [Request(typeof(GanEditParams), typeof(GanEditResult))]
    public const string GanEdit = "unitscope/ganEdit";
}

/// <summary>Marks a <see cref="Methods"/> constant as a request: its params and result types (null: none / null).</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class RequestAttribute(Type? paramsType, Type? resultType) : Attribute
{
    public Type? ParamsType { get; } = paramsType;
    public Type? ResultType { get; } = resultType;
    /// <summary>The result may be null (e.g. no hover).</summary>
    public bool ResultNullable { get; init; }
    /// <summary>Sent by the daemon to the client (the daemon has no handler for it).</summary>
    public bool FromServer { get; init; }
}

/// <summary>Marks a <see cref="Methods"/> constant as a notification with its params type (null: none).</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class NotificationAttribute(Type? paramsType) : Attribute
{
    public Type? ParamsType { get; } = paramsType;
    /// <summary>Sent by the daemon to the client (the daemon has no handler for it).</summary>
    public bool FromServer { get; init; }
}
