using System.Diagnostics;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using static TorchSharp.torch;

/// <summary>
/// bench/evolution: issue 15's speed targets against the forward passes they cannot avoid, measured in one run, best of
/// --repeat, in CPU seconds of this process (the machine is shared: its other load does not count against us; with
/// --threads 1 CPU time is the work done) and wall seconds beside them. (1) A checkpoint's summary statistics
/// (<see cref="ActivationStatistics"/>: one pass over the fixed images) against one forward pass over them with the same
/// layers hooked and read back (target ≤ 1.3); the whole background summary (<see cref="TrainingRun.Summarise"/>: both
/// checkpoints loaded, weights compared, stored) beside it. (2) Comparing two checkpoints on N images
/// (<see cref="CheckpointComparison"/>) against one forward pass of each over them (target ≤ 2.3).
/// </summary>
static class EvolutionBench
{
    public static int Run(Options o, string repo)
    {
        string model = o.Get("model", "vgg16_small");
        string a = o.Get("checkpoint", Path.Combine(repo, "tests", "fixtures", "models", model + ".pth"));
        string b = o.Get("checkpoint-b", a);
        int inputSize = o.Int("input-size", 112), images = o.Int("images", 64), batch = o.Int("batch", 16), repeat = o.Int("repeat", 3);
        var loadOptions = new ModelOptions { InputHeight = inputSize, Device = o.Get("device", "cpu") };
        using var first = ModelSession.Load(a, loadOptions);
        using var second = ModelSession.Load(b, loadOptions);
        var convs = first.Layers.Where(l => l.OutputShape.Count == 3 && l.Kind == "Conv2d").Select(l => l.Name).ToList();
        string[] followed = o.Values.TryGetValue("layers", out var given) ? given.Split(',') : [.. convs.TakeLast(2)];
        var compared = CheckpointComparison.DefaultLayers(first);
        var probe = ProbeSet.EnsureBuiltIn(Path.Combine(repo, ".cache", "bench-probe"), new ProbeSetOptions { Count = images, ImageSize = inputSize });
        var set = ImageSet.FromBroden(probe);
        Console.WriteLine($"model     {Path.GetFileName(a)} / {Path.GetFileName(b)} at {inputSize}x{inputSize} px, device {first.DeviceName}, torch threads {get_num_threads()}");
        Console.WriteLine($"data      {set.Count} probe images, batch {batch}; best of {repeat}; load average {LoadAverage()}");

        var statistics = Best(repeat, () => ActivationStatistics.Measure(second, set, followed, batch));
        var forwardFollowed = Best(repeat, () => Forward(second, set, followed, batch));
        string stores = Directory.CreateTempSubdirectory("unitscope-bench-evolution-").FullName;
        var summary = Best(repeat, () =>
        {
            // A fresh store each time: the summary is computed, not found.
            TrainingRun.Summarise(new RunCheckpoint(b, 2, null), new RunCheckpoint(a, 1, null), p => ModelSession.Load(p, loadOptions), set,
                new EvolutionOptions { Layers = followed, BatchSize = batch }, new AnalysisStore(Path.Combine(stores, Guid.NewGuid().ToString("N"))));
        });
        Directory.Delete(stores, recursive: true);
        Console.WriteLine($"summary   layers {string.Join(",", followed)}");
        Console.WriteLine($"          statistics {statistics}   forward-only {forwardFollowed}   ratio {statistics.Cpu / forwardFollowed.Cpu:0.00} cpu, {statistics.Wall / forwardFollowed.Wall:0.00} wall  (target <= 1.3)");
        Console.WriteLine($"          whole summary with two loads {summary}   ratio {summary.Cpu / forwardFollowed.Cpu:0.00} cpu");

        var comparison = Best(repeat, () => CheckpointComparison.Run(first, second, set, new ComparisonOptions { BatchSize = batch }));
        var forwardBoth = Best(repeat, () =>
        {
            Forward(first, set, compared, batch);
            Forward(second, set, compared, batch);
        });
        Console.WriteLine($"compare   {compared.Count} layers ({string.Join(",", compared.Take(3))}, …)");
        Console.WriteLine($"          comparison {comparison}   forward-only of both {forwardBoth}   ratio {comparison.Cpu / forwardBoth.Cpu:0.00} cpu, {comparison.Wall / forwardBoth.Wall:0.00} wall  (target <= 2.3)");
        return 0;
    }

    /// <summary>Process CPU seconds and wall seconds of a piece of work.</summary>
    readonly record struct Cost(double Cpu, double Wall)
    {
        public override string ToString() => $"{Cpu:0.000} cpu-s ({Wall:0.000} s)";
    }

    /// <summary>The cheapest of a warm-up-free series (the first run warms up and counts too, so repeat ≥ 2 is fairer).</summary>
    static Cost Best(int repeat, Action work)
    {
        var best = new Cost(double.MaxValue, double.MaxValue);
        for (int r = 0; r < Math.Max(1, repeat); r++)
        {
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            work();
            process.Refresh();
            var cost = new Cost((process.TotalProcessorTime - cpu).TotalSeconds, clock.Elapsed.TotalSeconds);
            if (cost.Cpu < best.Cpu) best = cost;
        }
        return best;
    }

    /// <summary>One forward pass over the set, batched and decoded as the analyses do, the layers hooked and read back.</summary>
    static void Forward(ModelSession session, IImageSet set, IReadOnlyList<string> layers, int batch)
    {
        for (int start = 0; start < set.Count; start += batch)
        {
            int n = Math.Min(batch, set.Count - start);
            var loaded = new RgbImage[n];
            int offset = start;
            Parallel.For(0, n, i => loaded[i] = set.Load(offset + i));
            session.ForwardBatch(loaded, layers, pass => layers.Sum(l => pass.Activations[l].to(ScalarType.Float32).cpu().contiguous().data<float>().Count));
        }
    }

    static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); } catch (IOException) { return "?"; }
    }
}
