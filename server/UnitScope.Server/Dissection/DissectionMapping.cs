using UnitScope.Server.Analysis;
using UnitScope.Server.Rpc;
using E = UnitScope.Engine.Analysis.Dissection;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Dissection;

/// <summary>Engine dissection records ↔ protocol DTOs, and validation of the options a client sends.</summary>
internal static class DissectionMapping
{
    public const int MaxTopImages = 64;
    public const int MaxBatchSize = 1024;

    /// <summary>The engine's options: the client's values over the defaults, checked.</summary>
    /// <exception cref="StreamJsonRpc.LocalRpcException">InvalidParams naming the option.</exception>
    public static E.DissectionOptions Options(P.DissectionOptions? o)
    {
        var d = new E.DissectionOptions();
        if (o is null) return d;
        if (o.Quantile is { } q && !(q > 0 && q <= 0.5))
            throw RpcErrors.InvalidParams($"options.quantile must be in (0, 0.5] (the top fraction of activations); got {q}.");
        if (o.IouThreshold is { } t && !(t >= 0 && t <= 1))
            throw RpcErrors.InvalidParams($"options.iouThreshold must be in [0, 1]; got {t}.");
        if (o.TopImages is { } k && (k < 1 || k > MaxTopImages))
            throw RpcErrors.InvalidParams($"options.topImages must be from 1 to {MaxTopImages}; got {k}.");
        if (o.BatchSize is { } b && (b < 1 || b > MaxBatchSize))
            throw RpcErrors.InvalidParams($"options.batchSize must be from 1 to {MaxBatchSize}; got {b}.");
        if (o.MaxImages is { } m && m < 1)
            throw RpcErrors.InvalidParams($"options.maxImages must be positive; got {m}.");
        return d with
        {
            Quantile = o.Quantile ?? d.Quantile,
            IouThreshold = o.IouThreshold ?? d.IouThreshold,
            TopImages = o.TopImages ?? d.TopImages,
            BatchSize = o.BatchSize ?? d.BatchSize,
            MaxImages = o.MaxImages ?? d.MaxImages,
        };
    }

    /// <summary>As the engine keys results: a maxImages of at least the dataset's size means every image.</summary>
    public static E.DissectionOptions ForDataset(E.DissectionOptions o, int datasetCount) =>
        o.MaxImages is { } max && max >= datasetCount ? o with { MaxImages = null } : o;

    public static P.DissectionSettings Settings(E.DissectionOptions o) =>
        new(o.Quantile, o.IouThreshold, o.TopImages, o.BatchSize, o.MaxImages);

    /// <param name="datasetName">"probe" or the folder.</param>
    /// <param name="categoryOrder">The dataset's categories, when it is open; else they are taken from the result.</param>
    public static P.LayerDissection ToProtocol(
        E.LayerDissection d, string datasetName, IReadOnlyList<string>? categoryOrder, Func<string, string> colorOf)
    {
        var categories = (categoryOrder ?? [])
            .Concat(d.LabelledByCategory.Keys.Order(StringComparer.Ordinal))
            .Concat(d.Units.SelectMany(u => u.BestPerCategory.Select(c => c.Category)))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return new P.LayerDissection(
            d.Layer,
            d.CheckpointHash,
            datasetName,
            d.DatasetHash,
            Settings(d.Options),
            d.ImageCount,
            d.LabelledUnits,
            categories.Select(c => new P.CategoryInfo(c, colorOf(c))).ToList(),
            categories.Select(c => new P.CategoryCount(c, d.LabelledByCategory.GetValueOrDefault(c))).ToList(),
            d.Units.Select(ToProtocol).ToList(),
            EngineAnalysis.SkippedOf(d.SkippedImages));
    }

    public static P.UnitDissection ToProtocol(E.UnitDissection u) => new(
        u.Unit,
        u.Threshold,
        u.BestPerCategory.Select(ToProtocol).ToList(),
        u.TopImages.Select(t => new P.TopImage(t.ImageIndex, t.MaxActivation)).ToList(),
        u.Label is null ? null : ToProtocol(u.Label),
        u.Best is null ? null : ToProtocol(u.Best));

    public static P.ConceptScore ToProtocol(E.ConceptScore c) => new(c.ConceptId, c.Concept, c.Category, c.Iou);

    public static P.DissectedLayer Summary(E.LayerDissection d, bool isDefault) =>
        new(d.Layer, d.DatasetHash, Settings(d.Options), d.Units.Count, d.LabelledUnits, isDefault);
}
