using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Analysis.Correspondence;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Engine.Analysis.Invariance;
using UnitScope.Engine.Analysis.Maximization;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Storage;

/// <summary>
/// What identifies an occlusion, ablation, ranking or single-unit result in the <see cref="AnalysisStore"/>:
/// the analysis (<see cref="Kind"/> and its algorithm version), the checkpoint (hash of its bytes), how the
/// model is fed (input size, mean, std: a checkpoint run at another size gives other numbers), the image or
/// evaluation set (content hash) and the parameters that change the result. <see cref="Value"/> is the
/// lowercase hex SHA-256 of <see cref="CanonicalEncoding"/>.
/// </summary>
/// <remarks>
/// The canonical encoding is UTF-8 text, one "name:value" line per field, each ending in '\n':
/// <c>unitscope/{kind}/v{AlgorithmVersion}</c>, <c>checkpoint:</c>, <c>input:{C}x{H}x{W}</c>, <c>resampling:pil-{name}</c>, <c>mean:</c>,
/// <c>std:</c> (comma-separated, shortest round-trip form), then the kind's fields (see each factory).
/// Strings (layer and class names) are length-prefixed, "layer:{length}:{name}", so no name can imitate the
/// lines after it. Batch sizes are never part of a key: they change the speed, not the result.
/// Bump <see cref="AlgorithmVersion"/> when an analysis changes what it computes.
/// </remarks>
public sealed record AnalysisKey
{
    public const int AlgorithmVersion = 1;

    public const string OcclusionKind = "occlusion", AblationKind = "ablation", RankingKind = "ranking", SingleUnitKind = "single-unit",
        TopActivationsKind = "top-activations",
        MaximizationKind = "maximization", InvarianceKind = "invariance", CorrespondenceKind = "correspondence",
        ExplanatoryGraphKind = "explanatory-graph", ComparisonKind = "comparison", EvolutionKind = "evolution",
        GanDissectionKind = "gan-dissection";

    AnalysisKey(string kind, string checkpointHash, string canonical)
    {
        Kind = kind;
        CheckpointHash = checkpointHash;
        CanonicalEncoding = canonical;
        Value = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>occlusion, ablation, ranking, single-unit, maximization, invariance or correspondence.</summary>
    public string Kind { get; }
    public string CheckpointHash { get; }
    public string CanonicalEncoding { get; }
    /// <summary>64 lowercase hex digits.</summary>
    public string Value { get; }

    public bool Equals(AnalysisKey? other) => other is not null && other.Value == Value;
    public override int GetHashCode() => Value.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Value;

    /// <summary>Fields: <c>image:</c> (<see cref="Occluder.ImageHash"/>), <c>size:</c>, <c>stride:</c>, <c>fill:</c>
    /// ("mean" or the values), <c>target:</c> (index or "predicted"), <c>layer:</c> (or "default"), <c>unit:</c> (or "strongest").
    /// <paramref name="imageHash"/> is the hash of the image occluded, the one the model sees: after its resize and
    /// centre crop (<see cref="ModelSession.SizeImage"/>), so the sizing is in the key through the pixels it gives
    /// (two sizings that give the same pixels give the same result, and share it).</summary>
    public static AnalysisKey Occlusion(ModelSession model, string imageHash, OcclusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(imageHash);
        ArgumentNullException.ThrowIfNull(options);
        var text = Head(OcclusionKind, model);
        Line(text, "image", imageHash.ToLowerInvariant());
        Line(text, "size", Int(options.Size));
        Line(text, "stride", Int(options.Stride));
        Line(text, "fill", options.FillRgb is { } fill ? string.Join(",", fill.Select(Int)) : "mean");
        Line(text, "target", options.TargetClass is { } t ? Int(t) : "predicted");
        Line(text, "layer", options.Layer is { } l ? Text(l) : "default");
        Line(text, "unit", options.Unit is { } u ? Int(u) : "strongest");
        return new AnalysisKey(OcclusionKind, model.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: <c>dataset:</c>, <c>layer:</c>, <c>units:</c> (sorted, distinct), <c>random:</c>, <c>seed:</c>.</summary>
    public static AnalysisKey Ablation(ModelSession model, IEvaluationSet set, AblationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = Head(AblationKind, model, set, request.Layer);
        Line(text, "units", string.Join(",", request.Units.Distinct().Order().Select(Int)));
        Line(text, "random", Int(request.RandomControls));
        Line(text, "seed", Int(request.Seed));
        return new AnalysisKey(AblationKind, model.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: <c>dataset:</c>, <c>layer:</c>, <c>class:</c> (the set's class index, resolved from the
    /// request's name), <c>metric:</c> (accuracy or logprobability: it orders the units, so the curve's top-k),
    /// <c>top:</c>, <c>draws:</c>, <c>seed:</c>. Labels are not stored: they are attached when read (a dissection may come later).</summary>
    public static AnalysisKey Ranking(ModelSession model, IEvaluationSet set, RankingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = Head(RankingKind, model, set, request.Layer);
        Line(text, "class", Int(EvaluationSet.ResolveClass(set, request.Class)));
        Line(text, "metric", request.Metric.ToString().ToLowerInvariant());
        Line(text, "top", Int(request.Top));
        Line(text, "draws", Int(request.RandomDraws));
        Line(text, "seed", Int(request.Seed));
        return new AnalysisKey(RankingKind, model.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: <c>dataset:</c>, <c>layer:</c>, <c>unit:</c>, <c>class:</c> (resolved index), <c>statistic:</c>.</summary>
    public static AnalysisKey SingleUnit(ModelSession model, IEvaluationSet set, SingleUnitRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = Head(SingleUnitKind, model, set, request.Layer);
        Line(text, "unit", Int(request.Unit));
        Line(text, "class", Int(EvaluationSet.ResolveClass(set, request.Class)));
        Line(text, "statistic", request.Statistic.ToString().ToLowerInvariant());
        return new AnalysisKey(SingleUnitKind, model.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: <c>dataset:</c> (the image set's content hash, its sizing included), <c>layer:</c>, <c>k:</c>.
    /// Every unit of the layer is in one result: a gallery pages through them from one entry.</summary>
    public static AnalysisKey TopActivations(ModelSession model, IImageSet set, string layer, int k)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        var text = Head(TopActivationsKind, model);
        Line(text, "dataset", set.ContentHash);
        Line(text, "layer", Text(layer));
        Line(text, "k", Int(k));
        return new AnalysisKey(TopActivationsKind, model.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: <c>layer:</c>, <c>unit:</c>, <c>objective:</c>, <c>seed:</c>, <c>rounds:</c>, <c>steps:</c>, <c>upscale:</c>,
    /// <c>lr:</c>, <c>decay:</c>, <c>blur:</c>, <c>jitter:</c>. No image: the optimisation starts from seeded noise.</summary>
    public static AnalysisKey Maximization(ModelSession model, string layer, int unit, MaximizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var text = Head(MaximizationKind, model);
        Line(text, "layer", Text(layer));
        Line(text, "unit", Int(unit));
        Line(text, "objective", options.Objective.ToString().ToLowerInvariant());
        Line(text, "seed", Int(options.Seed));
        Line(text, "rounds", Int(options.Rounds));
        Line(text, "steps", Int(options.StepsPerRound));
        Line(text, "upscale", Real(options.UpscaleFactor));
        Line(text, "lr", Real(options.LearningRate));
        Line(text, "decay", Real(options.WeightDecay));
        Line(text, "blur", Real(options.BlurSigma));
        Line(text, "jitter", Int(options.Jitter));
        return new AnalysisKey(MaximizationKind, model.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: <c>images:</c> (the hashes of the images as the model sees them, in order), <c>layers:</c> (each
    /// length-prefixed), <c>translate:</c>, <c>axis:</c>, <c>rotate:</c>, <c>scale:</c>, <c>class:</c> (or "predicted").
    /// <paramref name="options"/> must be resolved (<see cref="InvarianceAnalysis.Resolve"/>): its defaults filled in.</summary>
    public static AnalysisKey Invariance(ModelSession model, IReadOnlyList<string> imageHashes, InvarianceOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(imageHashes);
        ArgumentNullException.ThrowIfNull(options);
        var text = Head(InvarianceKind, model);
        Line(text, "images", string.Join(",", imageHashes.Select(h => h.ToLowerInvariant())));
        Line(text, "layers", string.Join(",", (options.Layers ?? []).Select(Text)));
        Line(text, "translate", string.Join(",", (options.Translations ?? []).Select(Int)));
        Line(text, "axis", options.Axis.ToString().ToLowerInvariant());
        Line(text, "rotate", string.Join(",", (options.Rotations ?? []).Select(Real)));
        Line(text, "scale", string.Join(",", (options.Scales ?? []).Select(Real)));
        Line(text, "class", options.TrueClass is { } c ? Int(c) : "predicted");
        return new AnalysisKey(InvarianceKind, model.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: <c>set:</c> (<see cref="CorrespondenceAnalysis.SetHash"/>: names, pixels, boxes), <c>sizing:</c>,
    /// <c>layers:</c>, <c>random:</c>, <c>seed:</c>, <c>fill:</c>. <paramref name="options"/> must be resolved
    /// (<see cref="CorrespondenceAnalysis.Resolve"/>). The boxes are painted before sizing, so the sizing is its own field.</summary>
    public static AnalysisKey Correspondence(ModelSession model, string setHash, ImageFolderOptions sizing, CorrespondenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(setHash);
        ArgumentNullException.ThrowIfNull(sizing);
        ArgumentNullException.ThrowIfNull(options);
        var text = Head(CorrespondenceKind, model);
        Line(text, "set", setHash.ToLowerInvariant());
        Line(text, "sizing", Text(sizing.ToString()));
        Line(text, "layers", string.Join(",", (options.Layers ?? []).Select(Text)));
        Line(text, "random", Int(options.RandomDraws));
        Line(text, "seed", Int(options.Seed));
        Line(text, "fill", options.FillRgb is { } fill ? string.Join(",", fill.Select(Int)) : "mean");
        return new AnalysisKey(CorrespondenceKind, model.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: <c>version:</c> (<see cref="Analysis.ExplanatoryGraph.ExplanatoryGraphResult.AlgorithmVersion"/>),
    /// <c>dataset:</c> (the image set's content hash: the class and the sizing are in it), <c>layers:</c> (top-down, each
    /// length-prefixed), <c>patterns:</c>, <c>parents:</c>, <c>iterations:</c>, <c>peaks:</c>, <c>threshold:</c>,
    /// <c>min-frequency:</c>, <c>patches:</c>.</summary>
    public static AnalysisKey ExplanatoryGraph(ModelSession model, IImageSet set, Analysis.ExplanatoryGraph.GraphOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        var text = Head(ExplanatoryGraphKind, model);
        Line(text, "version", Int(Analysis.ExplanatoryGraph.ExplanatoryGraphResult.AlgorithmVersion));
        Line(text, "dataset", set.ContentHash);
        Line(text, "layers", string.Join(",", options.Layers.Select(Text)));
        Line(text, "patterns", Int(options.PatternsPerFilter));
        Line(text, "parents", Int(options.ParentsPerNode));
        Line(text, "iterations", Int(options.Iterations));
        Line(text, "peaks", Int(options.PeaksPerMap));
        Line(text, "threshold", Real(options.PeakThreshold));
        Line(text, "min-frequency", Real(options.MinFrequency));
        Line(text, "patches", Int(options.PatchesPerNode));
        return new AnalysisKey(ExplanatoryGraphKind, model.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: the second checkpoint's own head (<c>other-checkpoint:</c>, <c>other-input:</c>, …), <c>dataset:</c>
    /// (the image set's content hash), <c>layers:</c> (each length-prefixed). Stored under the first checkpoint; labels are
    /// not stored (attached when read: a dissection may come later). <paramref name="options"/> must be resolved
    /// (<see cref="CheckpointComparison.Resolve"/>).</summary>
    public static AnalysisKey Comparison(ModelSession a, ModelSession b, IImageSet set, ComparisonOptions options)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        var text = Head(ComparisonKind, a);
        foreach (string line in Head(ComparisonKind, b).ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
            text.Append("other-").Append(line).Append('\n');
        Line(text, "dataset", set.ContentHash);
        Line(text, "layers", string.Join(",", (options.Layers ?? []).Select(Text)));
        return new AnalysisKey(ComparisonKind, a.CheckpointHash, text.ToString());
    }

    /// <summary>Fields: <c>previous:</c> (the run's previous checkpoint's hash, or "none": the weight change depends on
    /// it), <c>dataset:</c> (the image set's content hash), <c>layers:</c> (each length-prefixed).</summary>
    public static AnalysisKey Evolution(ModelSession model, string? previousHash, IImageSet set, IReadOnlyList<string> layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Evolution(model.CheckpointHash, model.Input, previousHash, set, layers);
    }

    /// <summary>The same key from a checkpoint's hash and the input it is read with, without loading it: a run's
    /// checkpoints are read as its reference model was, so a cache lookup needs no model.</summary>
    public static AnalysisKey Evolution(string checkpointHash, InputSpec input, string? previousHash, IImageSet set, IReadOnlyList<string> layers)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointHash);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(layers);
        var text = Head(EvolutionKind, checkpointHash, input);
        Line(text, "previous", previousHash?.ToLowerInvariant() ?? "none");
        Line(text, "dataset", set.ContentHash);
        Line(text, "layers", string.Join(",", layers.Select(Text)));
        return new AnalysisKey(EvolutionKind, checkpointHash, text.ToString());
    }

    /// <summary>Fields: <c>segmenter:</c> (its identity), <c>layer:</c>, <c>samples:</c>, <c>seed:</c>, <c>quantile:</c>,
    /// <c>iou:</c>, <c>ranked:</c>.</summary>
    public static AnalysisKey GanDissection(ModelSession generator, string segmenter, string layer, Analysis.Gan.GanDissectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentException.ThrowIfNullOrEmpty(segmenter);
        ArgumentNullException.ThrowIfNull(options);
        var text = Head(GanDissectionKind, generator);
        Line(text, "segmenter", Text(segmenter));
        Line(text, "layer", Text(layer));
        Line(text, "samples", Int(options.Samples));
        Line(text, "seed", Int(options.Seed));
        Line(text, "quantile", Real(options.Quantile));
        Line(text, "iou", Real(options.IouThreshold));
        Line(text, "ranked", Int(options.UnitsPerConcept));
        return new AnalysisKey(GanDissectionKind, generator.CheckpointHash, text.ToString());
    }

    static StringBuilder Head(string kind, ModelSession model) => Head(kind, model.CheckpointHash, model.Input);

    static StringBuilder Head(string kind, string checkpointHash, InputSpec input)
    {
        var text = new StringBuilder();
        text.Append("unitscope/").Append(kind).Append("/v").Append(Int(AlgorithmVersion)).Append('\n');
        Line(text, "checkpoint", checkpointHash.ToLowerInvariant());
        Line(text, "input", $"{Int(input.Channels)}x{Int(input.Height)}x{Int(input.Width)}");
        // How images of another size reach the input size: PIL's resampling (Skia's, before, had no line).
        Line(text, "resampling", "pil-" + input.Resampling.Name());
        Line(text, "mean", string.Join(",", input.Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        Line(text, "std", string.Join(",", input.Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        return text;
    }

    /// <summary>The head of a key over an evaluation set: <see cref="Head(string, ModelSession)"/>, then <c>dataset:</c> and <c>layer:</c>.</summary>
    static StringBuilder Head(string kind, ModelSession model, IEvaluationSet set, string layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        var text = Head(kind, model);
        Line(text, "dataset", set.ContentHash);
        Line(text, "layer", Text(layer));
        return text;
    }

    static void Line(StringBuilder text, string name, string value) => text.Append(name).Append(':').Append(value).Append('\n');

    static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    static string Real(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    static string Text(string value) => Int(value.Length) + ":" + value;
}
