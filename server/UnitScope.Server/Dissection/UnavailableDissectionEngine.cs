using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Server.Models;

namespace UnitScope.Server.Dissection;

/// <summary>Stands in until the engine's dissection service is wired: nothing cached, every run refused.</summary>
internal sealed class UnavailableDissectionEngine : IDissectionEngine
{
    private static UnitScopeException NotAvailable() =>
        new(EngineErrorKind.NativeRuntime, "Network dissection is not available in this build of the daemon.");

    public ISegmentationDataset OpenDataset(DatasetSpec spec, IProgress<DissectionProgress>? progress, CancellationToken ct) => throw NotAvailable();
    public ISegmentationDataset? TryOpenDataset(DatasetSpec spec) => null;
    public LayerDissection? TryGetCached(string checkpointHash, string layer, string datasetHash, DissectionOptions options) => null;
    public IReadOnlyList<LayerDissection> ListCached(string checkpointHash) => [];
    public IReadOnlyList<LayerDissection> Dissect(IModel model, ISegmentationDataset dataset, IReadOnlyList<string> layers, DissectionOptions options,
        IProgress<DissectionProgress>? progress, CancellationToken ct) => throw NotAvailable();
    public byte[] RenderUnitCard(IModel model, ISegmentationDataset dataset, LayerDissection layer, int unit, CancellationToken ct) => throw NotAvailable();
    public string CategoryColor(string category) => Rendering.Charts.CategoryPalette.HexOf(category);
}
