using UnitScope.Engine.Tests.Demo;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Tests.Ablation;

/// <summary>
/// Ablation, ranking and single-unit statistics on the trained demo model over its probe scenes (Bau et al.
/// 2020, figure 6): removing a class's top-ranked units hurts that class far more than removing as many
/// random units; the model is the same afterwards; concurrent runs see only their own units removed.
/// </summary>
[Collection(TrainedDemoCollection.Name)]
public class DemoAblationTests(TrainedDemo demo)
{
    const string Layer = TrainedDemo.LastBlock;

    static byte[] StateBytes(ModelSession session)
    {
        using var stream = new MemoryStream();
        foreach (var (name, tensor) in session.Module.state_dict())
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(name));
            stream.Write(tensor.contiguous().cpu().bytes);
        }
        return stream.ToArray();
    }

    [Fact]
    public void Top_ranked_units_lower_the_class_accuracy_more_than_as_many_random_units()
    {
        // The demo model spreads a scene over many of the last block's 64 units (its classifier is an MLP
        // on 7×7 maps): a few units rarely flip a prediction, a quarter of them do. Ranked by log-probability,
        // which separates units that single removals leave at the same accuracy.
        var gaps = new List<double>();
        foreach (string scene in demo.Scenes.ClassNames)
        {
            var ranking = Ablator.Rank(demo.Session, demo.Scenes,
                new RankingRequest { Layer = Layer, Class = scene, Metric = RankingMetric.LogProbability, Top = 16, RandomDraws = 4 });
            ranking.ClassName.Should().Be(scene);
            ranking.BaseAccuracy.Should().BeGreaterThan(0.8, "the demo model knows its scenes");
            ranking.Units.Should().HaveCount(64);
            ranking.Units.Select(u => u.Unit).Should().OnlyHaveUniqueItems();
            ranking.Units.Select(u => u.LogProbabilityDrop).Should().BeInDescendingOrder();
            ranking.Curve.Select(p => p.K).Should().Equal(Enumerable.Range(1, 16));
            var point = ranking.Curve[^1];
            string why = $"{scene}, k = 16: top {point.TopAccuracy:0.00} vs random {point.RandomAccuracy:0.00} ± {point.RandomAccuracyStd:0.00}";
            point.TopAccuracy.Should().BeLessThan(point.RandomAccuracy, why);
            point.TopLogProbability.Should().BeLessThan(point.RandomLogProbability, why);
            ranking.Curve[7].TopLogProbability.Should().BeLessThan(ranking.Curve[7].RandomLogProbability);
            gaps.Add(point.RandomAccuracy - point.TopAccuracy);
        }
        gaps.Average().Should().BeGreaterThan(0.3, "removing a class's 16 top units costs it far more than 16 random ones");
        gaps.Count(g => g > 0.2).Should().BeGreaterThanOrEqualTo(3);
    }

    [Fact]
    public void Ablate_with_a_class_top_units_matches_the_ranking_curve_and_beats_its_random_control()
    {
        var ranking = Ablator.Rank(demo.Session, demo.Scenes, new RankingRequest { Layer = Layer, Class = "beach", Top = 12, RandomDraws = 2 });
        ranking.Units.Select(u => u.AccuracyDrop).Should().BeInDescendingOrder();
        var top = ranking.Units.Take(12).Select(u => u.Unit).ToList();
        var ablation = Ablator.Ablate(demo.Session, demo.Scenes, new AblationRequest { Layer = Layer, Units = top, RandomControls = 5 });
        var beach = ablation.Classes.Single(c => c.ClassName == "beach");
        beach.Before.Should().BeApproximately(ranking.BaseAccuracy, 1e-9);
        beach.After.Should().BeApproximately(ranking.Curve[^1].TopAccuracy, 1e-9);
        beach.After.Should().BeLessThan(beach.RandomAfter!.Value - 0.2);
        ablation.Classes[0].ClassName.Should().Be("beach", "the class whose units were removed loses the most");
    }

    [Fact]
    public void Ablation_reports_classes_sorted_by_change_overall_accuracy_and_a_seeded_random_control()
    {
        var request = new AblationRequest { Layer = Layer, Units = [5, 1, 5, 9], RandomControls = 3, Seed = 7 };
        var result = Ablator.Ablate(demo.Session, demo.Scenes, request);
        result.Units.Should().Equal(1, 5, 9);
        result.LayerUnits.Should().Be(64);
        result.Images.Should().Be(demo.Scenes.Count);
        result.Classes.Select(c => c.ClassName).Should().BeEquivalentTo(demo.Scenes.ClassNames);
        result.Classes.Select(c => c.Change).Should().BeInAscendingOrder();
        result.Classes.Sum(c => c.Images).Should().Be(result.Images);
        result.AccuracyBefore.Should().BeApproximately(result.Classes.Sum(c => c.Before * c.Images) / result.Images, 1e-9);
        result.AccuracyAfter.Should().BeApproximately(result.Classes.Sum(c => c.After * c.Images) / result.Images, 1e-9);
        result.RandomUnitSets.Should().HaveCount(3).And.OnlyContain(s => s.Count == 3 && !s.Intersect(result.Units).Any());
        Ablator.Ablate(demo.Session, demo.Scenes, request).RandomUnitSets.Should().BeEquivalentTo(result.RandomUnitSets, o => o.WithStrictOrdering());
        Ablator.Ablate(demo.Session, demo.Scenes, request with { Seed = 8 }).RandomUnitSets.Should().NotBeEquivalentTo(result.RandomUnitSets);

        var none = Ablator.Ablate(demo.Session, demo.Scenes, request with { RandomControls = 0 });
        none.RandomAccuracyAfter.Should().BeNull();
        none.Classes.Should().OnlyContain(c => c.RandomAfter == null);
        none.AccuracyAfter.Should().Be(result.AccuracyAfter);
    }

    [Fact]
    public void Ablation_leaves_the_model_bit_for_bit_unchanged()
    {
        var image = demo.Probe.Load(3).Image;
        var before = demo.Session.Predict(image);
        byte[] state = StateBytes(demo.Session);

        Ablator.Ablate(demo.Session, EvaluationSet.Limit(demo.Scenes, 60), new AblationRequest { Layer = Layer, Units = [.. Enumerable.Range(0, 32)] });
        Ablator.Rank(demo.Session, EvaluationSet.Limit(demo.Scenes, 60), new RankingRequest { Layer = "features.13", Class = "garden", Top = 3, RandomDraws = 2 });

        StateBytes(demo.Session).Should().Equal(state);
        var after = demo.Session.Predict(image);
        // Within 1e-5: another test may switch oneDNN off process-wide between the two passes (a leftover hook or a
        // changed weight moves the logits far more; the weights are compared bit for bit above).
        after.Logits.Should().Equal(before.Logits, (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1f, Math.Abs(b)));
    }

    [Fact]
    public async Task Concurrent_ablations_on_one_model_each_see_only_their_own_units_removed()
    {
        var set = EvaluationSet.Limit(demo.Scenes, 120);
        var a = new AblationRequest { Layer = Layer, Units = [.. Enumerable.Range(0, 20)], RandomControls = 1, BatchSize = 8 };
        var b = new AblationRequest { Layer = "features.20", Units = [.. Enumerable.Range(10, 30)], RandomControls = 1, BatchSize = 8 };
        var alone = (A: Ablator.Ablate(demo.Session, set, a), B: Ablator.Ablate(demo.Session, set, b));
        var image = demo.Probe.Load(0).Image;
        var intact = demo.Session.Predict(image).Logits;

        var runs = new[]
        {
            Task.Run(() => (object)Ablator.Ablate(demo.Session, set, a)),
            Task.Run(() => (object)Ablator.Ablate(demo.Session, set, b)),
            Task.Run(() => (object)Enumerable.Range(0, 30).Select(_ => demo.Session.Predict(image).Logits).ToList()),
        };
        var results = await Task.WhenAll(runs);
        var together = ((AblationResult)results[0], (AblationResult)results[1]);
        together.Item1.Should().BeEquivalentTo(alone.A);
        together.Item2.Should().BeEquivalentTo(alone.B);
        ((List<IReadOnlyList<float>>)results[2]).Should().OnlyContain(l => l.SequenceEqual(intact), "predictions in between see no unit removed");
    }

    [Fact]
    public void Ranking_reports_every_unit_as_it_is_measured()
    {
        var set = EvaluationSet.Limit(demo.Scenes, 300);
        var measured = new List<RankedUnit>();
        var phases = new List<AnalysisPhase>();
        var ranking = Ablator.Rank(demo.Session, set, new RankingRequest { Layer = Layer, Class = "playroom", Top = 2, RandomDraws = 2, BatchSize = 16 },
            new SyncProgress<AblationProgress>(p =>
            {
                phases.Add(p.Phase);
                if (p.MeasuredUnits is { } units) measured.AddRange(units);
                p.Done.Should().BeLessThanOrEqualTo(p.Total);
            }));
        phases.Distinct().Should().Equal(AnalysisPhase.Units, AnalysisPhase.Curve);
        measured.Select(u => u.Unit).Should().BeEquivalentTo(Enumerable.Range(0, 64), "each unit once, as its measurement completes");
        measured.Should().BeEquivalentTo(ranking.Units);
    }

    [Fact]
    public void Ranking_by_log_probability_orders_by_that_drop_and_both_metrics_agree_on_the_top()
    {
        var set = EvaluationSet.Limit(demo.Scenes, 300);
        var byLog = Ablator.Rank(demo.Session, set, new RankingRequest { Layer = Layer, Class = "forest", Metric = RankingMetric.LogProbability, Top = 1, RandomDraws = 1 });
        byLog.Units.Select(u => u.LogProbabilityDrop).Should().BeInDescendingOrder();
        byLog.Metric.Should().Be(RankingMetric.LogProbability);
        var byAccuracy = Ablator.Rank(demo.Session, set, new RankingRequest { Layer = Layer, Class = "forest", Top = 1, RandomDraws = 1 });
        byAccuracy.Units.Should().BeEquivalentTo(byLog.Units, "the same measurements, ordered differently");
        byLog.Units.Take(10).Select(u => u.Unit).Intersect(byAccuracy.Units.Take(10).Select(u => u.Unit)).Should().NotBeEmpty();
    }

    [Fact]
    public void A_class_top_unit_fires_more_on_that_class_than_on_the_rest()
    {
        var ranking = Ablator.Rank(demo.Session, demo.Scenes, new RankingRequest { Layer = Layer, Class = "beach", Top = 1, RandomDraws = 1 });
        int unit = ranking.Units[0].Unit;
        var stats = Ablator.SingleUnit(demo.Session, demo.Scenes, new SingleUnitRequest { Layer = Layer, Unit = unit, Class = "beach" });
        stats.Statistic.Should().Be(UnitStatistic.Max);
        stats.InClass.Length.Should().Be(Enumerable.Range(0, demo.Scenes.Count).Count(i => demo.Scenes.ClassOf(i) == stats.ClassIndex));
        (stats.InClass.Length + stats.Others.Length).Should().Be(demo.Scenes.Count);
        stats.MeanInClass.Should().BeGreaterThan(stats.MeanOthers);
        stats.Auc.Should().BeGreaterThan(0.7);
        var map = demo.Session.ComputeUnitMap(demo.Scenes.Load(0).Image, Layer, unit);
        float first = demo.Scenes.ClassOf(0) == stats.ClassIndex ? stats.InClass[0] : stats.Others[0];
        first.Should().BeApproximately(map.Max, 1e-4f * Math.Max(1, Math.Abs(map.Max)));

        var mean = Ablator.SingleUnit(demo.Session, EvaluationSet.Limit(demo.Scenes, 30), new SingleUnitRequest { Layer = Layer, Unit = unit, Class = "beach", Statistic = UnitStatistic.Mean });
        float firstMean = demo.Scenes.ClassOf(0) == mean.ClassIndex ? mean.InClass[0] : mean.Others[0];
        firstMean.Should().BeApproximately(map.Mean, 1e-4f * Math.Max(1, Math.Abs(map.Mean)));
    }

    [Fact]
    public void Results_are_cached_and_read_back_whole()
    {
        using var folder = new Storage.StoreSamples.TempFolder();
        var store = new AnalysisStore(folder.Path);
        var set = EvaluationSet.Limit(demo.Scenes, 60);
        var request = new RankingRequest { Layer = Layer, Class = "beach", Top = 2, RandomDraws = 2 };
        var key = AnalysisKey.Ranking(demo.Session, set, request);
        var ranking = store.GetOrCompute(key, () => Ablator.Rank(demo.Session, set, request), out bool first);
        var again = store.GetOrCompute<UnitRanking>(AnalysisKey.Ranking(demo.Session, set, request with { BatchSize = 3, Class = "4" }), () => throw new InvalidOperationException("not from the cache"), out bool second);
        (first, second).Should().Be((false, true));
        again.Should().BeEquivalentTo(ranking);
        AnalysisKey.Ranking(demo.Session, set, request with { Metric = RankingMetric.LogProbability }).Should().NotBe(key);
        AnalysisKey.Ranking(demo.Session, demo.Scenes, request).Should().NotBe(key);

        var ablation = new AblationRequest { Layer = Layer, Units = [3, 4] };
        var stored = store.GetOrCompute(AnalysisKey.Ablation(demo.Session, set, ablation), () => Ablator.Ablate(demo.Session, set, ablation), out _);
        store.TryGet<AblationResult>(AnalysisKey.Ablation(demo.Session, set, ablation with { Units = [4, 3, 3] }), out var read).Should().BeTrue();
        read.Should().BeEquivalentTo(stored);

        var single = new SingleUnitRequest { Layer = Layer, Unit = 3, Class = "beach" };
        var stats = store.GetOrCompute(AnalysisKey.SingleUnit(demo.Session, set, single), () => Ablator.SingleUnit(demo.Session, set, single), out _);
        store.TryGet<SingleUnitStats>(AnalysisKey.SingleUnit(demo.Session, set, single), out var statsRead).Should().BeTrue();
        statsRead.Should().BeEquivalentTo(stats);
    }

    [Fact]
    public void Ranking_and_ablation_stop_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var run = () => Ablator.Rank(demo.Session, demo.Scenes, new RankingRequest { Layer = Layer, Class = "beach", BatchSize = 16 },
            new SyncProgress<AblationProgress>(p => { if (p.Done > 0) cts.Cancel(); }), cts.Token);
        run.Should().Throw<OperationCanceledException>();
    }

    [Theory]
    [InlineData("features.99", "3", "Unknown layer")]
    [InlineData(Layer, "64", "Unit 64 is out of range")]
    [InlineData(Layer, "-1", "Unit -1 is out of range")]
    public void Bad_requests_are_user_errors(string layer, string unit, string message)
    {
        var run = () => Ablator.Ablate(demo.Session, demo.Scenes, new AblationRequest { Layer = layer, Units = [int.Parse(unit)] });
        run.Should().Throw<UnitScopeException>().WithMessage($"*{message}*");
        var rank = () => Ablator.Rank(demo.Session, demo.Scenes, new RankingRequest { Layer = Layer, Class = "moon" });
        rank.Should().Throw<UnitScopeException>().WithMessage("*'moon' is not one of the 6 classes*beach*");
        var empty = () => Ablator.Ablate(demo.Session, demo.Scenes, new AblationRequest { Layer = Layer, Units = [] });
        empty.Should().Throw<UnitScopeException>().WithMessage("*at least one unit*");
    }
}
