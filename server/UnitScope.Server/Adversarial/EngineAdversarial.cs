using System.Globalization;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Analysis.Adversarial;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Rendering;
using UnitScope.Rendering.Adversarial;
using UnitScope.Server.Analysis;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Adversarial;

/// <summary>
/// The real thing: <see cref="AdversarialUnitAnalysis"/> on the model's <see cref="ModelSession"/>, the classes' rankings
/// cached in the shared <see cref="AnalysisStore"/> (the CLI's cache too); the most changed units' maps drawn by
/// <see cref="Heatmap"/> (the unit map's rendering), before and after on one scale. The attack itself is not cached: it is
/// a few forward and backward passes of one image.
/// </summary>
internal sealed class EngineAdversarial(DaemonLog log, string? cacheFolder = null) : IAdversarialEngine
{
    private readonly AnalysisStore _store = new(cacheFolder);

    public P.AttackResult Attack(IModel model, RgbImage image, P.AttackParams request, IEvaluationData? rankingSet,
        IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = (model as ISessionModel)?.Session ?? throw new InvalidOperationException("Attacks need a model loaded by the engine.");
        if (string.IsNullOrWhiteSpace(request.Layer))
            throw Invalid("layer is empty: name the layer whose units to compare.");
        var options = Options(session, request);
        int mapUnits = request.MapUnits ?? 4;
        if (mapUnits is < 0 or > 64)
            throw Invalid($"mapUnits must be 0 to 64, not {mapUnits}.");
        int? trueClass = request.TrueClass is { } t ? ModelClass(session, t, "trueClass") : null;
        var analysis = new AdversarialUnitRequest { Layer = request.Layer.Trim(), Attack = options, Top = request.Top ?? 10 };
        var relay = new SyncProgress<AttackProgress>(p => progress?.Report(new AnalysisProgress(p.Phase, p.Done, p.Total)));
        var ranking = new SyncProgress<AblationProgress>(p => progress?.Report(new AnalysisProgress(p.Phase, p.Done, p.Total)));
        var set = rankingSet is null ? null : (rankingSet as EngineAnalysis.OpenSet)?.Set ?? throw new InvalidOperationException("The ranking needs a set opened by the engine.");
        var report = AdversarialUnitAnalysis.Run(session, [new AttackInput("image", image, trueClass)], analysis, set, _store, relay, ranking,
            m => log.Info(m), ct);

        var a = report.Attack.Images[0];
        var units = report.Changes.Units.Select((u, i) => i < mapUnits ? WithMaps(session, report.Changes.Layer, a, u) : Change(u)).ToList();
        return new P.AttackResult(report.Changes.Layer, options.Method == AttackMethod.Fgsm ? "fgsm" : "pgd", options.Epsilon,
            report.Attack.EpsilonLevels, options.EffectiveSteps, options.EffectiveStepSize, options.TargetClass, a.SourceClass,
            Class(a.CleanPrediction), Class(a.AttackedPrediction), a.CleanSourceProbability, a.AttackedSourceProbability, a.Succeeded,
            a.MaxChange, Base64(Png.Encode(a.Clean)), Base64(Png.Encode(a.Attacked)),
            Base64(PerturbationImage.RenderPng(a.Clean, a.Attacked, report.Attack.EpsilonLevels)), a.Clean.Width, a.Clean.Height, units,
            [.. report.Overlaps.Select(o => new P.AttackOverlap(o.Role, o.ClassIndex, o.ClassName, o.K, o.ChangedUnits, o.ImportantUnits, o.Shared, o.ExpectedByChance))]);
    }

    private static AttackOptions Options(ModelSession session, P.AttackParams r)
    {
        var defaults = new AttackOptions();
        var method = (r.Method ?? "pgd").Trim().ToLowerInvariant() switch
        {
            "fgsm" => AttackMethod.Fgsm,
            "pgd" => AttackMethod.Pgd,
            var other => throw Invalid($"method '{other}' is not an attack: use fgsm or pgd."),
        };
        var options = new AttackOptions
        {
            Method = method,
            Epsilon = r.Epsilon ?? defaults.Epsilon,
            Steps = r.Steps ?? defaults.Steps,
            StepSize = r.StepSize,
            RandomStart = r.RandomStart,
            Seed = r.Seed ?? defaults.Seed,
            TargetClass = r.TargetClass is { } t ? ModelClass(session, t, "targetClass") : null,
        };
        AdversarialAttack.Check(options, session.ClassCount);
        return options;
    }

    /// <summary>A model class by name (case-insensitive) or index, the error naming <paramref name="parameter"/>.</summary>
    private static int ModelClass(ModelSession session, string text, string parameter)
    {
        var names = session.ClassNames;
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], text.Trim(), StringComparison.OrdinalIgnoreCase))
                return i;
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < session.ClassCount)
            return index;
        throw Invalid($"{parameter} '{text}' is neither a class name nor an index of the model ({session.ClassCount} classes: " +
            $"{string.Join(", ", names.Take(8))}{(names.Count > 8 ? ", …" : "")}).");
    }

    /// <summary>The unit's maps on the clean and the attacked image, drawn on the range both share, so brighter is more.</summary>
    private static P.AttackUnitChange WithMaps(ModelSession session, string layer, AttackedImage image, UnitChange u)
    {
        var before = session.ComputeUnitMap(image.Clean, layer, u.Unit);
        var after = session.ComputeUnitMap(image.Attacked, layer, u.Unit);
        float low = Math.Min(before.Min, after.Min), high = Math.Max(before.Max, after.Max);
        return Change(u) with
        {
            CleanMapPng = Base64(Heatmap.RenderPng(before, image.Clean.Width, image.Clean.Height, rangeMin: low, rangeMax: high)),
            AttackedMapPng = Base64(Heatmap.RenderPng(after, image.Clean.Width, image.Clean.Height, rangeMin: low, rangeMax: high)),
        };
    }

    private static P.AttackUnitChange Change(UnitChange u) => new(u.Unit, u.CleanMean, u.AttackedMean, u.Change, u.MeanAbsoluteChange);

    private static P.AttackClass Class(ClassScore c) => new(c.Index, c.Label, c.Probability);

    private static string Base64(byte[] png) => Convert.ToBase64String(png);

    private static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);
}
