using System.Text.Json;
using TorchSharp;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Ablation;

/// <summary>
/// Ablation and ranking on exported ONNX graphs give PyTorch's accuracy changes for the same zeroed units
/// (tests/fixtures/onnx_ablation: a ResNet whose zeroed layers feed a residual Add, a LeNet whose
/// <c>x.view(x.size(0), -1)</c> reshapes by the batch size, and the same LeNet exported with a fixed batch
/// of one), in the batch sizes that broke batched ablation before: several images and unit sets per pass.
/// </summary>
// Compares forward passes with each other (before/after, perturbed/not): alone, so that no other test switches oneDNN between them.
[Collection(ExactNumerics.Name)]
public class OnnxAblationTests
{
    static readonly string Folder = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "onnx_ablation");

    static readonly Dictionary<string, Expected> Fixtures = JsonSerializer.Deserialize<Dictionary<string, Expected>>(
        File.ReadAllText(Path.Combine(Folder, "expected.json")), ModelFixtures.Json)!;

    /// <summary>(ONNX file, fixture: its images and PyTorch's results).</summary>
    public static readonly TheoryData<string, string> Graphs = new()
    {
        { "resnet", "resnet" }, { "lenet", "lenet" }, { "lenet_static", "lenet" },
    };

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Ablation_changes_each_class_accuracy_as_pytorch_does(string graph, string fixture)
    {
        var expected = Fixtures[fixture];
        using var session = Load(graph);
        var data = ImageFolderSet.Open(Path.Combine(Folder, fixture + "_images"));
        // Batches of the sizes ablation runs (a graph with a fixed batch takes only one image).
        int[] chunks = graph == "lenet_static" ? [1] : [1, 2, 4];
        var outputsBefore = chunks.Select(n => Logits(session, data, n)).ToList();

        foreach (var ablation in expected.Cases)
        {
            var result = Ablator.Ablate(session, data, new AblationRequest
            {
                Layer = ablation.Layer, Units = ablation.Units, RandomControls = 0, BatchSize = 8,
            });
            result.Images.Should().Be(expected.Images);
            foreach (var (before, after) in ablation.Before.Zip(ablation.After))
            {
                var row = result.Classes.Single(c => c.ClassName == before.Class);
                string what = $"{graph} {ablation.Layer} units {string.Join(",", ablation.Units)}, class {before.Class}";
                row.Images.Should().Be(before.Images, what);
                row.Before.Should().BeApproximately(before.Accuracy, 1e-9, what);
                row.After.Should().BeApproximately(after.Accuracy, 1e-9, what);
                row.LogProbabilityBefore.Should().BeApproximately(before.LogProbability, 1e-4, what);
                row.LogProbabilityAfter.Should().BeApproximately(after.LogProbability, 1e-4, what);
            }
        }

        for (int i = 0; i < chunks.Length; i++)
            Logits(session, data, chunks[i]).Should().Equal(outputsBefore[i], (a, b) => Math.Abs(a - b) <= 1e-5f,
                "ablation leaves the model as it was, its cached shape arithmetic included");
    }

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Ranking_drops_each_unit_as_pytorch_does(string graph, string fixture)
    {
        var expected = Fixtures[fixture].Ranking;
        using var session = Load(graph);
        var data = ImageFolderSet.Open(Path.Combine(Folder, fixture + "_images"));

        var ranking = Ablator.Rank(session, data, new RankingRequest { Layer = expected.Layer, Class = expected.Class, Top = 2, RandomDraws = 1 });

        ranking.Images.Should().Be(expected.Images);
        ranking.BaseAccuracy.Should().BeApproximately(expected.Accuracy, 1e-9);
        ranking.BaseLogProbability.Should().BeApproximately(expected.LogProbability, 1e-4);
        ranking.Units.Should().HaveCount(expected.Units.Length);
        foreach (var unit in expected.Units)
        {
            var ours = ranking.Units.Single(u => u.Unit == unit.Unit);
            ours.AccuracyDrop.Should().BeApproximately(unit.AccuracyDrop, 1e-9, $"{graph} {expected.Layer} unit {unit.Unit}");
            ours.LogProbabilityDrop.Should().BeApproximately(unit.LogProbabilityDrop, 1e-4, $"{graph} {expected.Layer} unit {unit.Unit}");
        }
    }

    [Theory]
    [InlineData("resnet", "resnet", "layer2.0.conv2", "Replicate")] // a residual Add joins the zeroed layer with its block's input
    [InlineData("lenet", "lenet", "conv2", "Replicate")]            // a reshape by a batch size read before the layer
    [InlineData("lenet_static", "lenet", "conv2", "OneSample")]     // a reshape to [1, 400]: one sample a pass
    public void Masked_passes_are_batched_the_way_the_graph_takes_them(string graph, string fixture, string layer, string mode)
    {
        using var session = Load(graph);
        var data = ImageFolderSet.Open(Path.Combine(Folder, fixture + "_images"));
        int units = session.GetLayer(layer).Units;
        List<int[]> masks = [[], [0, 1], [2], [.. Enumerable.Range(0, units / 2)]];
        int[] images = [.. Enumerable.Range(0, data.Count)];
        int[] truth = [.. images.Select(data.ClassOf)];

        var batched = MaskedEvaluation.Run(session, data, images, truth, layer, masks, 16, AnalysisPhase.Ablation, null, CancellationToken.None);
        var alone = masks.Select(mask => MaskedEvaluation.Run(session, data, images, truth, layer, [mask], 1, AnalysisPhase.Ablation, null, CancellationToken.None)).ToList();

        batched.Mode.ToString().Should().Be(mode);
        for (int k = 0; k < masks.Count; k++)
        {
            batched.Predicted[k].Should().Equal(alone[k].Predicted[0]);
            batched.LogProbability[k].Should().Equal(alone[k].LogProbability[0], (a, b) => Math.Abs(a - b) <= 1e-4f);
        }
        batched.LogProbability[0].Should().NotEqual(batched.LogProbability[3], "the masks change the output");
    }

    static ModelSession Load(string graph) => ModelSession.Load(Path.Combine(Folder, graph + ".onnx"), new ModelOptions { Device = "cpu" });

    /// <summary>The model's logits for every image of the set, <paramref name="batch"/> images a pass.</summary>
    static float[] Logits(ModelSession session, IEvaluationSet data, int batch)
    {
        var logits = new List<float>();
        for (int start = 0; start < data.Count; start += batch)
        {
            using var scope = torch.NewDisposeScope();
            var images = Enumerable.Range(start, Math.Min(batch, data.Count - start)).Select(i => data.Load(i).Image).ToList();
            logits.AddRange(session.ForwardBatch(images, [], pass => pass.Output.cpu().data<float>().ToArray()));
        }
        return [.. logits];
    }

    sealed record ClassResult(string Class, int Images, double Accuracy, double LogProbability);
    sealed record Case(string Layer, string PytorchModule, int[] Units, ClassResult[] Before, ClassResult[] After);
    sealed record UnitDrop(int Unit, double AccuracyDrop, double LogProbabilityDrop);
    sealed record Ranked(string Layer, string Class, int Images, double Accuracy, double LogProbability, UnitDrop[] Units);
    sealed record Expected(string[] Classes, int Images, Case[] Cases, Ranked Ranking);
}
