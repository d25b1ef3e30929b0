using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Dissection;

/// <summary>Which probe dataset: the built-in generated one, or a Broden-format folder (full path).</summary>
internal sealed record DatasetSpec(string? Folder)
{
    public const string ProbeName = "probe";

    public static DatasetSpec Probe { get; } = new((string?)null);

    public bool IsProbe => Folder is null;

    /// <summary>"probe" or the folder: what results name as their dataset.</summary>
    public string Name => Folder ?? ProbeName;

    /// <summary>"probe", empty or absent: the built-in set; anything else: a folder that must exist.</summary>
    /// <exception cref="StreamJsonRpc.LocalRpcException">FileNotFound.</exception>
    public static DatasetSpec Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals(ProbeName, StringComparison.OrdinalIgnoreCase)) return Probe;
        var folder = Path.GetFullPath(text.Trim());
        UserFile.RequireInside(folder, "Dataset folder");
        if (!Directory.Exists(folder))
            throw RpcErrors.Application(Protocol.ErrorKind.FileNotFound,
                File.Exists(folder)
                    ? $"Dataset '{folder}' is a file; give a Broden-format folder (with index.csv) or \"probe\"."
                    : $"Dataset folder not found: '{folder}'. Give a Broden-format folder (with index.csv) or \"probe\".");
        return new DatasetSpec(folder);
    }
}

/// <summary>
/// What the daemon needs of network dissection: datasets, the result store and the run itself,
/// behind an interface so handler tests run without TorchSharp (as <see cref="IModelLoader"/>).
/// Implementations are thread-safe; the lookups are cheap (hover calls them).
/// </summary>
internal interface IDissectionEngine
{
    /// <summary>
    /// Opens a dataset, building the built-in probe set on first use (reported as phase Dataset).
    /// Runs no model: the caller does not hold the device gate.
    /// </summary>
    /// <exception cref="UnitScopeException">FileNotFound, InvalidArgument (not a Broden folder)…</exception>
    ISegmentationDataset OpenDataset(DatasetSpec spec, IProgress<DissectionProgress>? progress, CancellationToken ct);

    /// <summary>The dataset when it is open or can be opened without building anything; else null.</summary>
    ISegmentationDataset? TryOpenDataset(DatasetSpec spec);

    /// <summary>A sentence when the dataset's images are not the model's input size (they are resized for the forward
    /// pass and the unit maps upsampled to the masks); null when they are, and in fakes.</summary>
    string? SizeNote(IModel model, ISegmentationDataset dataset) => null;

    /// <summary>The cached dissection for this key (the batch size is not part of it); null when there is none.</summary>
    LayerDissection? TryGetCached(string checkpointHash, string layer, string datasetHash, DissectionOptions options);

    /// <summary>Every cached dissection of a checkpoint (any layer, dataset, options).</summary>
    IReadOnlyList<LayerDissection> ListCached(string checkpointHash);

    /// <summary>
    /// Dissects <paramref name="layers"/> of <paramref name="model"/> over <paramref name="dataset"/>;
    /// each layer is stored as soon as it is done and reported in <see cref="DissectionProgress.CompletedLayer"/>.
    /// Progress is reported between batches (the reporter may block there: it is where the device
    /// is handed to other requests). Honours <paramref name="ct"/> between batches.
    /// </summary>
    IReadOnlyList<LayerDissection> Dissect(
        IModel model, ISegmentationDataset dataset, IReadOnlyList<string> layers, DissectionOptions options,
        IProgress<DissectionProgress>? progress, CancellationToken ct);

    /// <summary>A PNG of the unit's top images with its "on" region (activation above its threshold) outlined; runs the model.</summary>
    byte[] RenderUnitCard(IModel model, ISegmentationDataset dataset, LayerDissection layer, int unit, CancellationToken ct);

    /// <summary>The colour a category is drawn in (#rrggbb), the same as in rendered reports.</summary>
    string CategoryColor(string category);

    /// <summary>
    /// For hovers: a small PNG per unit of its first <paramref name="imagesPerUnit"/> top images
    /// (<paramref name="tileSize"/> pixels square, "on" region outlined), side by side; runs the model.
    /// Null when this engine cannot render them.
    /// </summary>
    IReadOnlyDictionary<int, byte[]>? RenderTopImageStrips(IModel model, ISegmentationDataset dataset, LayerDissection layer,
        IReadOnlyList<int> units, int tileSize, int imagesPerUnit, CancellationToken ct) => null;
}

/// <summary>Finds cached results: the same layer, dataset and result-changing options (the batch size changes nothing).</summary>
internal static class DissectionCache
{
    public static LayerDissection? Find(IDissectionEngine engine, string checkpointHash, string layer, string datasetHash, DissectionOptions options) =>
        engine.TryGetCached(checkpointHash, layer, datasetHash, options);

    /// <summary>The default dissection the hover shows: built-in probe set, default options.</summary>
    public static LayerDissection? FindDefault(IDissectionEngine engine, string checkpointHash, string layer) =>
        FindDefault(engine, checkpointHash, layer, DatasetSpec.Probe);

    /// <summary>The default-options dissection on <paramref name="dataset"/> (a client's default dataset).</summary>
    public static LayerDissection? FindDefault(IDissectionEngine engine, string checkpointHash, string layer, DatasetSpec dataset)
    {
        if (engine.TryOpenDataset(dataset) is not { } opened) return null;
        return Find(engine, checkpointHash, layer, opened.ContentHash, new DissectionOptions());
    }

    public static bool SameResult(DissectionOptions a, DissectionOptions b) =>
        a.Quantile == b.Quantile && a.IouThreshold == b.IouThreshold && a.TopImages == b.TopImages && a.MaxImages == b.MaxImages;
}
