using UnitScope.Engine.Analysis;
using System.Collections.Concurrent;
using UnitScope.Engine;
using UnitScope.Engine.Imaging;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Models;

namespace UnitScope.Server.Tests.Support;

/// <summary>
/// A stand-in for occlusion and ablation: results made up from the settings, progress after every
/// batch of <see cref="BatchSize"/> items, and a gate (<see cref="BatchGate"/>) that holds each batch
/// so tests can cancel mid-run or queue other device work. The probe evaluation set has
/// <see cref="Images"/> images, 10 per class; a folder is an evaluation set when it has sub-folders.
/// </summary>
internal sealed class FakeAnalysis : IAnalysisEngine
{
    public const int Images = 30;
    public static readonly string[] Classes = ["circle", "square", "triangle"];

    public int BatchSize = 10;
    /// <summary>When set, every batch waits for a permit (released by the test).</summary>
    public SemaphoreSlim? BatchGate;
    /// <summary>Released once per batch started.</summary>
    public SemaphoreSlim BatchStarted { get; } = new(0);
    /// <summary>The methods run, with their settings.</summary>
    public ConcurrentQueue<object> Runs { get; } = new();
    public bool ProbeBuilt;
    /// <summary>Makes a run fail with this error.</summary>
    public Exception? FailWith;
    /// <summary>Whether a ranking tells the units it measured as it goes (the engine cannot always).</summary>
    public bool TellsMeasuredUnits = true;

    public IReadOnlyList<string> ClassNames(IModel model) => Classes;

    public IEvaluationData OpenEvaluationSet(IModel model, EvaluationSetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        if (!spec.IsProbe)
        {
            if (!Directory.EnumerateDirectories(spec.Folder!).Any())
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"'{spec.Folder}' is not an ImageFolder: it has no sub-folder of images per class.");
            return new Set(spec.Folder!, "folder-" + Path.GetFileName(spec.Folder!), Images);
        }
        if (!ProbeBuilt)
        {
            for (var i = 0; i <= 100; i += 50) progress?.Report(new AnalysisProgress(AnalysisPhase.Dataset, i, 100));
            ProbeBuilt = true;
        }
        return new Set("probe", "probehash", Images);
    }

    private void Batches(AnalysisPhase phase, int total, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        for (var done = 0; done < total;)
        {
            ct.ThrowIfCancellationRequested();
            BatchStarted.Release();
            BatchGate?.Wait(ct);
            if (FailWith is { } failure) throw failure;
            done = Math.Min(total, done + BatchSize);
            progress?.Report(new AnalysisProgress(phase, done, total));
        }
    }

    /// <summary>Positions along a side: the square every <c>stride</c> pixels, the last one touching the edge.</summary>
    public static int Positions(int side, int size, int stride) => (side - size + stride - 1) / stride + 1;

    public OccludeResult Occlude(IModel model, RgbImage image, OcclusionSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        Runs.Enqueue(settings);
        var rows = Positions(model.Input.Height, settings.Size, settings.Stride);
        var columns = Positions(model.Input.Width, settings.Size, settings.Stride);
        var cells = rows * columns;
        Batches(AnalysisPhase.Occlusion, cells, progress, ct);
        var target = settings.TargetClass ?? 2;
        var values = Enumerable.Range(0, cells).Select(i => 0.9f - 0.8f * i / Math.Max(1, cells - 1)).ToList();
        var classes = Enumerable.Range(0, cells).Select(i => i < cells / 2 ? 2 : 0).ToList();
        OcclusionMap Map(IReadOnlyList<float> v, float unoccluded) => new(v, v.Min(), v.Max(), unoccluded, "UE5H");
        UnitActivityMap? activity = settings.Layer is { } layer
            ? new UnitActivityMap(layer, settings.Unit ?? 1, settings.Unit is null, Map(values.Select(v => v * 10).ToList(), 9f))
            : null;
        var fill = settings.Fill is { Count: 1 } one ? [one[0], one[0], one[0]] : settings.Fill ?? model.Input.Mean;
        return new OccludeResult(target, Classes[target], 0.67f, 2, Classes, settings.Size, settings.Stride, [.. fill], rows, columns,
            model.Input.Width, model.Input.Height, "SU1H", Map(values, 0.67f),
            new ClassMap(classes, [new ClassLegendEntry(2, "triangle", "#4e79a7", cells - cells / 2), new ClassLegendEntry(0, "circle", "#f28e2b", cells / 2)], "Q0xT"),
            "Q09N", activity);
    }

    public AblateResult Ablate(IModel model, IEvaluationData set, AblationSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        Runs.Enqueue(settings);
        Batches(AnalysisPhase.Ablation, set.Count * (settings.RandomControl ? 5 : 2), progress, ct);
        // Class 1 drops most, class 0 a little, class 2 not at all; listed in class order (the daemon sorts).
        var classes = new List<ClassAccuracy>
        {
            new(0, "circle", 10, 0.9, 0.8, settings.RandomControl ? 0.9 : null),
            new(1, "square", 10, 0.8, 0.2, settings.RandomControl ? 0.7 : null),
            new(2, "triangle", 10, 1.0, 1.0, settings.RandomControl ? 1.0 : null),
        };
        var last = model.Layers.First(l => l.Name == settings.Layer).Units - 1;
        var control = settings.RandomControl
            ? new AblationControl([.. Enumerable.Range(0, 3).Select(d => (IReadOnlyList<int>)[.. Enumerable.Range(0, settings.Units.Count).Select(i => last - i - d)])], settings.Seed, 0.8667)
            : null;
        return new AblateResult(settings.Layer, settings.Units, set.Name, set.Count, 0.9, 0.6667, classes, "QkFS", 40, 20, control);
    }

    public RankUnitsResult RankUnits(IModel model, IEvaluationData set, RankSettings settings, Action<RankUnitsResult>? measured,
        IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        Runs.Enqueue(settings);
        var units = model.Layers.First(l => l.Name == settings.Layer).Units;
        RankUnitsResult Header(IReadOnlyList<RankedUnit> list) =>
            new(settings.Layer, settings.Class, Classes[settings.Class], settings.Metric, set.Name, set.Count, 0.9, list);
        var all = new List<RankedUnit>();
        for (var u = 0; u < units; u += 2)
        {
            ct.ThrowIfCancellationRequested();
            BatchStarted.Release();
            BatchGate?.Wait(ct);
            if (FailWith is { } failure) throw failure;
            // Drops: unit 3 most, then 1, then the rest by unit number (ties by unit), in measurement order.
            var batch = Enumerable.Range(u, Math.Min(2, units - u))
                .Select(i => (Unit: i, Drop: i == 3 ? 0.5 : i == 1 ? 0.3 : 0.01))
                .Select(x => new RankedUnit(x.Unit, x.Drop, x.Drop, x.Drop * 2))
                .ToList();
            all.AddRange(batch);
            if (TellsMeasuredUnits) measured?.Invoke(Header(batch));
            progress?.Report(new AnalysisProgress(AnalysisPhase.Units, Math.Min(units, u + 2) * 10, units * 10));
        }
        var ks = Enumerable.Range(1, settings.Top).ToList();
        for (var i = 0; i < ks.Count; i++) progress?.Report(new AnalysisProgress(AnalysisPhase.Curve, i + 1, ks.Count));
        var curve = ks.Select(k => new CurvePoint(k, 0.9 - 0.1 * k, 0.9 - 0.01 * k, 0.02)).ToList();
        return Header([.. all.Select(u => u with { After = 0.9 - u.Drop })]) with { Curve = curve, CurvePng = "Q1VS" };
    }

    public UnitClassStatsResult UnitClassStats(IModel model, IEvaluationData set, UnitClassSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct)
    {
        Runs.Enqueue(settings);
        Batches(AnalysisPhase.Activations, set.Count, progress, ct);
        return new UnitClassStatsResult(settings.Layer, settings.Unit, settings.Class, Classes[settings.Class], set.Name,
            new Distribution(10, 3, 1, 1, 2, 3, 4, 5), new Distribution(20, 0.5, 0.25, 0, 0.25, 0.5, 0.75, 1), 0.95, "SklU", 30, 20);
    }

    internal sealed record Set(string Name, string ContentHash, int Count) : IEvaluationData;
}
