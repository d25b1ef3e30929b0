using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Evolution;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Tests.Support;

/// <summary>
/// A stand-in for a training run's summaries: a run is a folder (and a name pattern) whose files are ordered by the number in their names;
/// each checkpoint takes <see cref="Batches"/> batches (progress after each, <see cref="BatchGate"/> holds each so tests
/// can cancel mid-run) and its made-up summary goes to the completed callback. Comparisons are not faked.
/// </summary>
internal sealed partial class FakeEvolution : IEvolutionEngine
{
    public const int Images = 12;
    public int Batches = 3;
    /// <summary>When set, every batch waits for a permit (released by the test).</summary>
    public SemaphoreSlim? BatchGate;
    public SemaphoreSlim BatchStarted { get; } = new(0);
    /// <summary>Each run's settings.</summary>
    public ConcurrentQueue<RunSettings> Runs { get; } = new();

    public IComparisonImages OpenImages(DatasetSpec spec, int maxImages, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        progress?.Report(new AnalysisProgress(AnalysisPhase.Dataset, 1, 2));
        return new FakeImages(spec.Name, Math.Min(maxImages, Images));
    }

    public void CheckComparison(IModel a, IModel b, ComparisonSettings settings) => throw new NotSupportedException();

    public P.CompareCheckpointsResult Compare(IModel a, IModel b, IComparisonImages images, ComparisonSettings settings,
        IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw new NotSupportedException();

    public IReadOnlyList<RunCheckpointFile> FindRun(string run, CancellationToken ct)
    {
        // A folder, or a folder and a name pattern, as the engine's run finder takes them.
        var (folder, pattern) = Path.GetFileName(run).IndexOfAny(['*', '?']) >= 0 ? (Path.GetDirectoryName(run)!, Path.GetFileName(run)) : (run, "*");
        if (!Directory.Exists(folder)) throw new UnitScopeException(EngineErrorKind.FileNotFound, $"The run's folder '{folder}' does not exist.");
        return [.. Directory.GetFiles(folder, pattern).Select(f => new RunCheckpointFile(f, long.Parse(Number().Match(Path.GetFileName(f)).Value), null))
            .OrderBy(c => c.Epoch)];
    }

    public void CheckRun(IModel reference, RunSettings settings)
    {
        foreach (var layer in settings.Layers)
            if (!reference.Layers.Any(l => l.Name == layer))
                throw new UnitScopeException(EngineErrorKind.UnknownLayer, $"No layer '{layer}' in this model.");
    }

    public P.EvolveResult Evolve(IModel reference, string run, IReadOnlyList<RunCheckpointFile> checkpoints, IComparisonImages images, RunSettings settings,
        Action<P.CheckpointSummary>? completed, IProgress<RunProgress>? progress, CancellationToken ct)
    {
        Runs.Enqueue(settings);
        var summaries = new List<P.CheckpointSummary>();
        for (int k = 0; k < checkpoints.Count; k++)
        {
            for (int b = 1; b <= Batches; b++)
            {
                ct.ThrowIfCancellationRequested();
                BatchStarted.Release();
                BatchGate?.Wait(ct);
                progress?.Report(new RunProgress(k + 1, checkpoints.Count, (long)images.Count * b / Batches, images.Count));
            }
            var c = checkpoints[k];
            var summary = new P.CheckpointSummary(k, $"hash{k}", [c.Path],
                [.. settings.Layers.Select(l => new P.LayerSummary(l, 4, 0.5 + k, 0.25 / (k + 1), 0.5, l, 2.0, k == 0 ? null : 0.1 / k,
                    settings.Dissect ? k : null, settings.Dissect ? [new P.CategoryCount("color", k)] : null,
                    settings.Dissect ? [.. Enumerable.Range(0, 4).Select(u => new P.UnitConcept(u, "red", "color", 0.01 * (u + k), u < k))] : null))],
                c.Epoch, c.Step);
            summaries.Add(summary);
            completed?.Invoke(summary);
        }
        return new P.EvolveResult(run, images.Name, images.Count, settings.Layers, summaries.Count, summaries,
            [.. settings.Layers.Select(l => new P.RunChart(l, ChartPng, 1, 1))]);
    }

    /// <summary>Background summaries so far, by (hash, previous hash): what the store would hold.</summary>
    public ConcurrentDictionary<(string Hash, string? Previous), P.CheckpointSummary> Stored { get; } = new();

    /// <summary>What happened, in order: "summary batch N of FILE", "summarised FILE" (for ordering tests).</summary>
    public ConcurrentQueue<string> Events { get; } = new();

    /// <summary>A file's bytes are its hash here; identical files are one member.</summary>
    public IReadOnlyList<RunMember> Members(IReadOnlyList<RunCheckpointFile> files, CancellationToken ct) =>
        [.. files.Where(f => File.Exists(f.Path)).GroupBy(f => File.ReadAllText(f.Path), StringComparer.Ordinal)
            .Select(g => new RunMember(g.Key, [.. g.Select(f => f.Path)], g.First().Epoch, g.First().Step))];

    public P.CheckpointSummary? StoredSummary(IModel reference, int index, RunMember member, RunMember? previous, IComparisonImages images, RunSettings settings) =>
        Stored.TryGetValue((member.Hash, previous?.Hash), out var s) ? s with { Index = index, Paths = member.Paths, Cached = true } : null;

    /// <summary>A file still being written says so in its bytes.</summary>
    // An empty file is incomplete too, as for the real check (no checkpoint structure): File.WriteAllText truncates first.
    public bool IsComplete(string path, CancellationToken ct) => File.Exists(path) && File.ReadAllText(path) is not ("writing" or "");

    public P.CheckpointSummary Summarise(IModel reference, int index, RunMember member, RunMember? previous, IComparisonImages images, RunSettings settings,
        IProgress<RunProgress>? progress, CancellationToken ct)
    {
        string name = Path.GetFileName(member.Paths[0]);
        for (int b = 1; b <= Batches; b++)
        {
            ct.ThrowIfCancellationRequested();
            Events.Enqueue($"summary batch {b} of {name}");
            BatchStarted.Release();
            BatchGate?.Wait(ct);
            progress?.Report(new RunProgress(1, 1, (long)images.Count * b / Batches, images.Count));
        }
        // The bytes as they are now (a file queued while being written has other bytes once complete), as loading reads them.
        string hash = File.ReadAllText(member.Paths[0]);
        var summary = new P.CheckpointSummary(index, hash, member.Paths,
            [.. settings.Layers.Select(l => new P.LayerSummary(l, 4, 0.5 + index, 0.25, 0.5, l, 2.0, previous is null ? null : 0.1))], member.Epoch, member.Step);
        Stored[(hash, previous?.Hash)] = summary;
        Events.Enqueue($"summarised {name}");
        return summary;
    }

    /// <summary>A 1×1 PNG standing in for each layer's chart.</summary>
    public const string ChartPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    private sealed record FakeImages(string Name, int Count) : IComparisonImages;

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();
}
