using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Datasets;

namespace UnitScope.Cli.Commands;

/// <summary>Progress bars on stderr for <c>occlude</c>, <c>ablate</c> and <c>rank</c> (as <c>dissect</c> draws them).</summary>
static class AnalysisConsole
{
    public static Task WithProgress(CliContext cli, Func<Bars, Task> body) => ProgressDisplay.Run(cli, ctx => body(new Bars(ctx)));

    /// <summary>Images shown by name in the warning about unreadable ones (the JSON file lists them all).</summary>
    const int SkippedShown = 10;

    /// <summary>On stderr: how many images could not be read and were left out, and the first of them with why.</summary>
    public static void WarnSkipped(CliContext cli, IReadOnlyList<SkippedImage> skipped, string jsonFile)
    {
        if (skipped.Count == 0) return;
        cli.Warn($"{Skipped(skipped.Count)}, left out of the results:");
        foreach (var image in skipped.Take(SkippedShown))
            cli.Info("  " + image.Problem);
        if (skipped.Count > SkippedShown)
            cli.Info($"  … and {skipped.Count - SkippedShown} more (all in {jsonFile}).");
    }

    /// <summary>"1 image could not be read", "3 images could not be read".</summary>
    public static string Skipped(int count) =>
        count == 1 ? "1 image could not be read" : $"{count.ToString(CultureInfo.InvariantCulture)} images could not be read";

    /// <summary>One bar per phase, with a rate.</summary>
    public sealed class Bars(ProgressContext ctx)
    {
        readonly object _gate = new();
        readonly Dictionary<string, (ProgressTask Task, Stopwatch Clock)> _tasks = new(StringComparer.Ordinal);

        public IProgress<int> ForProbeSet(int total) => new SyncProgress<int>(done => Update("generating the probe set", done, total, "images"));

        public IProgress<Engine.Analysis.Occlusion.OcclusionProgress> ForOcclusion() =>
            new SyncProgress<Engine.Analysis.Occlusion.OcclusionProgress>(p => Update("occluding", p.PositionsDone, p.PositionsTotal, "positions"));

        public IProgress<Engine.Analysis.Seeing.TopActivationProgress> ForTopActivations() =>
            new SyncProgress<Engine.Analysis.Seeing.TopActivationProgress>(p => Update(
                p.Phase == AnalysisPhase.Projections ? "projections" : "strongest activations", p.Done, p.Total,
                p.Phase == AnalysisPhase.Projections ? "activations" : "images"));

        public IProgress<AblationProgress> ForAblation() => new SyncProgress<AblationProgress>(p => Update(p.Phase switch
        {
            AnalysisPhase.Ablation => "intact model, units removed, random control",
            AnalysisPhase.Units => "each unit removed alone",
            AnalysisPhase.Curve => "top-k and random-k removed",
            AnalysisPhase.Activations => "unit activations",
            _ => p.Phase.ToString(),
        }, p.Done, p.Total, p.Phase == AnalysisPhase.Activations ? "images" : "samples"));

        /// <summary>Optimisation steps; <paramref name="each"/> also sees every report (the round-end previews).</summary>
        public IProgress<Engine.Analysis.Maximization.MaximizationProgress> ForMaximization(Action<Engine.Analysis.Maximization.MaximizationProgress>? each = null) =>
            new SyncProgress<Engine.Analysis.Maximization.MaximizationProgress>(p =>
            {
                Update($"optimising (round {p.Round}/{p.Rounds}, activation {p.Activation:G4})", p.StepsDone, p.StepsTotal, "steps", "optimising");
                each?.Invoke(p);
            });

        public IProgress<Engine.Analysis.Invariance.InvarianceProgress> ForInvariance() =>
            new SyncProgress<Engine.Analysis.Invariance.InvarianceProgress>(p => Update("transforming", p.Done, p.Total, "images"));

        public IProgress<Engine.Analysis.Correspondence.CorrespondenceProgress> ForCorrespondence() =>
            new SyncProgress<Engine.Analysis.Correspondence.CorrespondenceProgress>(p => Update("occluding parts", p.Done, p.Total, "images"));

        public IProgress<Engine.Analysis.ExplanatoryGraph.GraphProgress> ForGraph() =>
            new SyncProgress<Engine.Analysis.ExplanatoryGraph.GraphProgress>(p => Update(
                p.Phase == AnalysisPhase.Peaks ? "activation peaks" : "mining the layers", p.Done, p.Total,
                p.Phase == AnalysisPhase.Peaks ? "images" : "iterations"));

        public IProgress<Engine.Analysis.Adversarial.AttackProgress> ForAttack() =>
            new SyncProgress<Engine.Analysis.Adversarial.AttackProgress>(p => Update(
                p.Phase == AnalysisPhase.Attack ? "attacking" : "unit changes", p.Done, p.Total, p.Phase == AnalysisPhase.Attack ? "steps" : "images"));

        public IProgress<Engine.Analysis.Evolution.EvolutionProgress> ForEvolution() =>
            new SyncProgress<Engine.Analysis.Evolution.EvolutionProgress>(p => Update($"checkpoint {p.Checkpoint}/{p.Checkpoints}", p.ImagesDone, p.ImagesTotal, "images"));

        public IProgress<Engine.Analysis.Evolution.ComparisonProgress> ForComparison() =>
            new SyncProgress<Engine.Analysis.Evolution.ComparisonProgress>(p => Update("comparing", p.Done, p.Total, "images"));

        void Update(string phase, long done, long total, string unit) => Update(phase, done, total, unit, phase);

        /// <summary>Moves the bar of <paramref name="bar"/> (a phase: a new one finishes the others), described as <paramref name="phase"/>.</summary>
        void Update(string phase, long done, long total, string unit, string bar)
        {
            lock (_gate)
            {
                if (!_tasks.TryGetValue(bar, out var entry))
                {
                    foreach (var (task, _) in _tasks.Values)
                        if (!task.IsFinished) task.Value = task.MaxValue;
                    entry = (ctx.AddTask(Markup.Escape(phase), maxValue: Math.Max(1, total)), Stopwatch.StartNew());
                    _tasks[bar] = entry;
                }
                var (current, clock) = entry;
                current.MaxValue = Math.Max(1, total);
                current.Value = Math.Min(done, current.MaxValue);
                double seconds = clock.Elapsed.TotalSeconds;
                if (seconds > 0.5 && done > 0)
                    current.Description = Markup.Escape($"{phase} · {done / seconds:0.#} {unit}/s");
            }
        }
    }
}
