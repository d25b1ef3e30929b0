using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Analysis.Adversarial;

/// <summary>What to attack with and which layer's units to look at.</summary>
public sealed record AdversarialUnitRequest
{
    public required string Layer { get; init; }
    public AttackOptions Attack { get; init; } = new();
    /// <summary>How many top changed units are compared with each class's top-ranked units.</summary>
    public int Top { get; init; } = 10;
    /// <summary>Images per batch of the rankings' evaluations.</summary>
    public int RankingBatchSize { get; init; } = 64;
}

/// <summary>
/// The whole adversarial unit analysis: the attack, the layer's unit changes, and, given an evaluation set, the overlap
/// of the most changed units with the units that matter most for the source and the target class (each unit removed
/// alone, ranked by the drop in the class's mean log-probability: <see cref="Ablator.Rank"/>, cached in the store as
/// <c>unitscope rank</c> caches it).
/// </summary>
public static class AdversarialUnitAnalysis
{
    /// <summary>Attacks, measures, compares. The source class is the images' most common source class; the target is
    /// the attack's target, else the most common prediction on the images the attack fooled (none when it fooled none).</summary>
    /// <param name="notes">Told why an overlap was left out (a class the set does not have).</param>
    /// <exception cref="UnitScopeException">As <see cref="AdversarialAttack.Run"/>, UnknownLayer.</exception>
    public static AdversarialUnitReport Run(ModelSession model, IReadOnlyList<AttackInput> images, AdversarialUnitRequest request,
        IEvaluationSet? rankingSet = null, AnalysisStore? store = null, IProgress<AttackProgress>? progress = null,
        IProgress<AblationProgress>? rankingProgress = null, Action<string>? notes = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        model.GetLayer(request.Layer);
        if (request.Top < 1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The number of units compared (--top) must be at least 1, not {request.Top}.");
        var attack = AdversarialAttack.Run(model, images, request.Attack, progress, ct);
        var changes = UnitChanges.Measure(model, request.Layer, attack, request.Attack.BatchSize, progress, ct);
        var overlaps = new List<UnitOverlap>();
        if (rankingSet is not null)
        {
            foreach (var (role, cls) in Classes(attack))
            {
                ct.ThrowIfCancellationRequested();
                int setClass = Array.IndexOf(EvaluationSet.MapClasses(rankingSet, model.ClassNames), cls);
                if (setClass < 0)
                {
                    notes?.Invoke($"The {role} class {model.ClassNames[cls]} is not a class of {rankingSet.Name}: no ranking to compare with.");
                    continue;
                }
                var rankingRequest = new RankingRequest
                {
                    Layer = request.Layer, Class = setClass.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Metric = RankingMetric.LogProbability, Top = request.Top, RandomDraws = 1, BatchSize = request.RankingBatchSize,
                };
                UnitRanking Rank() => Ablator.Rank(model, rankingSet, rankingRequest, rankingProgress, ct);
                var ranking = store is null ? Rank() : store.GetOrCompute(AnalysisKey.Ranking(model, rankingSet, rankingRequest), Rank, out _, notes);
                overlaps.Add(UnitChanges.Overlap(changes, ranking, request.Top, role, cls));
            }
        }
        return new AdversarialUnitReport(attack, changes, overlaps);
    }

    /// <summary>("source", its class) and, where there is one, ("target", its class).</summary>
    static IEnumerable<(string Role, int Class)> Classes(AttackResult attack)
    {
        int source = attack.Images.GroupBy(i => i.SourceClass).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        yield return ("source", source);
        int? target = attack.Options.TargetClass ?? attack.Images.Where(i => i.Succeeded).GroupBy(i => i.AttackedPrediction.Index)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => (int?)g.Key).FirstOrDefault();
        if (target is { } t && t != source)
            yield return ("target", t);
    }
}
