using System.Diagnostics;
using System.Globalization;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Analysis.Adversarial;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using static TorchSharp.torch;

// bench/occlusion and bench/ablation: what occlusion and unit ranking cost against the forward passes they need.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0 || args[0] is not ("occlusion" or "ablation" or "gallery" or "attack" or "graph" or "gan" or "visualize" or "evolution"))
{
    Console.Error.WriteLine("usage: UnitScope.Bench.Analysis occlusion|ablation|gallery|attack|graph|gan|visualize|evolution [options]  (see bench/occlusion, bench/ablation, bench/gallery, bench/attack, bench/graph, bench/gan, bench/visualize, bench/evolution)");
    return 2;
}
var options = Options.Parse(args[1..]);
if (options.Int("threads", 0) is > 0 and var threads)
    set_num_threads(threads); // 1 keeps a shared machine's contention out of libtorch's thread pool
string repo = FindRepoRoot();
return args[0] switch
{
    "occlusion" => Occlusion(options, repo),
    "gallery" => Gallery(options, repo),
    "attack" => Attack(options, repo),
    "graph" => Graph(options, repo),
    "gan" => Gan(options, repo),
    "visualize" => VisualizeBench.Run(options, repo),
    "evolution" => EvolutionBench.Run(options, repo),
    _ => Ablation(options, repo),
};

static int Gallery(Options o, string repo)
{
    string model = o.Get("model", "vgg16_small");
    string path = o.Get("checkpoint", Path.Combine(repo, "tests", "fixtures", "models", model + ".pth"));
    int inputSize = o.Int("input-size", 112), images = o.Int("images", 256), batch = o.Int("batch", 32), repeat = o.Int("repeat", 3);
    using var session = ModelSession.Load(path, new ModelOptions { InputHeight = inputSize, Device = o.Get("device", "cpu") });
    string layer = o.Get("layer", session.Layers.Last(l => l.OutputShape.Count == 3 && l.Kind == "Conv2d").Name);
    var probe = ProbeSet.EnsureBuiltIn(Path.Combine(repo, ".cache", "bench-probe"), new ProbeSetOptions { Count = images, ImageSize = inputSize });
    var set = ImageSet.FromBroden(probe);
    Console.WriteLine($"model     {Path.GetFileName(path)} at {inputSize}x{inputSize} px, device {session.DeviceName}, torch threads {get_num_threads()}, layer {layer}");
    Console.WriteLine($"data      {set.Count} probe images, batch {batch}; best of {repeat}; load average {LoadAverage()}");

    // The forward-only pass over the same images, decoded and batched the same way, the layer hooked and read back.
    double ForwardOnly() => ForwardPasses(session, set, [layer], batch, pass => pass.Activations[layer].sum().item<float>());
    double TopK()
    {
        var clock = Stopwatch.StartNew();
        TopActivations.Collect(session, set, [layer], new TopActivationOptions { K = 9, BatchSize = batch });
        return clock.Elapsed.TotalSeconds;
    }
    ForwardOnly();
    TopK();
    double forward = double.MaxValue, top = double.MaxValue;
    for (int r = 0; r < repeat; r++)
    {
        top = Math.Min(top, TopK());
        forward = Math.Min(forward, ForwardOnly());
    }
    Console.WriteLine($"top-9     {top:0.000} s   forward-only {forward:0.000} s   ratio {top / forward:0.000}  (target <= 1.15)");

    // Projections of one unit's 9 strongest activations, all three methods where they apply.
    var winners = TopActivations.Collect(session, set, [layer], new TopActivationOptions { K = 9, BatchSize = batch }).Single();
    int unit = Enumerable.Range(0, winners.Units.Count).MaxBy(u => winners.Units[u].Count > 0 ? winners.Units[u][0].Value : float.MinValue);
    foreach (var method in new[] { ProjectionMethod.Deconvnet, ProjectionMethod.GuidedBackprop, ProjectionMethod.Gradient })
    {
        try { Projector.Choose(session, layer, method); }
        catch (UnitScopeException e) { Console.WriteLine($"{method,-15} not applicable: {e.Message}"); continue; }
        Projector.Project(session, set, layer, unit, winners.Units[unit], method);
        double best = double.MaxValue;
        for (int r = 0; r < repeat; r++)
        {
            var clock = Stopwatch.StartNew();
            Projector.Project(session, set, layer, unit, winners.Units[unit], method);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"{method,-15} 9 projections of unit {unit}: {best:0.000} s (target < 1 s for VGG16 at 224 px)");
    }
    return 0;
}

static int Graph(Options o, string repo)
{
    string model = o.Get("model", "vgg16_small");
    string path = o.Get("checkpoint", Path.Combine(repo, "tests", "fixtures", "models", model + ".pth"));
    int inputSize = o.Int("input-size", 112), images = o.Int("images", 64), batch = o.Int("batch", 16), repeat = o.Int("repeat", 3);
    using var session = ModelSession.Load(path, new ModelOptions { InputHeight = inputSize, Device = o.Get("device", "cpu") });
    var convs = session.Layers.Where(l => l.OutputShape.Count == 3 && l.Kind == "Conv2d").Select(l => l.Name).ToList();
    string[] layers = o.Values.TryGetValue("layers", out var given) ? given.Split(',') : [.. convs.TakeLast(3).Reverse()];
    var probe = ProbeSet.EnsureBuiltIn(Path.Combine(repo, ".cache", "bench-probe"), new ProbeSetOptions { Count = images, ImageSize = inputSize });
    var set = ImageSet.FromBroden(probe);
    var options = new UnitScope.Engine.Analysis.ExplanatoryGraph.GraphOptions { Layers = layers, BatchSize = batch };
    Console.WriteLine($"model     {Path.GetFileName(path)} at {inputSize}x{inputSize} px, device {session.DeviceName}, torch threads {get_num_threads()}, layers {string.Join(",", layers)}");
    Console.WriteLine($"data      {set.Count} probe images, batch {batch}; best of {repeat}; load average {LoadAverage()}");

    // The forward passes alone over the same images, batched the same way, the layers hooked and read back to the CPU.
    double ForwardOnly() => ForwardPasses(session, set, layers, batch,
        pass => layers.Sum(l => pass.Activations[l].to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray().Length));
    UnitScope.Engine.Analysis.ExplanatoryGraph.ExplanatoryGraphResult? graph = null;
    (double All, double Peaks) Mine()
    {
        double peaksDone = 0;
        var clock = Stopwatch.StartNew();
        var progress = new SyncProgress<UnitScope.Engine.Analysis.ExplanatoryGraph.GraphProgress>(p =>
        {
            if (p.Phase == UnitScope.Engine.Analysis.AnalysisPhase.Mining && p.Done == 0) peaksDone = clock.Elapsed.TotalSeconds;
        });
        graph = UnitScope.Engine.Analysis.ExplanatoryGraph.ExplanatoryGraphAnalysis.Run(session, set, options, progress);
        return (clock.Elapsed.TotalSeconds, peaksDone);
    }
    ForwardOnly();
    double forward = double.MaxValue, all = double.MaxValue, peaks = double.MaxValue;
    for (int r = 0; r < repeat; r++)
    {
        var (a, p) = Mine();
        all = Math.Min(all, a);
        peaks = Math.Min(peaks, p);
        forward = Math.Min(forward, ForwardOnly());
    }
    long mapFloats = layers.Sum(l => (long)session.GetLayer(l).OutputShape.Aggregate(1, (x, y) => x * y)) * set.Count;
    long peaksKept = layers.Sum(l => (long)session.GetLayer(l).Units) * set.Count * options.PeaksPerMap;
    Console.WriteLine($"graph     {all:0.000} s (peak pass {peaks:0.000} s, mining {all - peaks:0.000} s)   forward-only {forward:0.000} s   ratio {all / forward:0.00}");
    Console.WriteLine($"nodes     {string.Join(", ", graph!.Layers.Select(l => $"{l.Name} {l.Nodes.Count} ({l.ExplainedShare:P0} explained)"))}");
    Console.WriteLine($"memory    at most {peaksKept} peaks kept ({peaksKept * 16 / 1e6:0.0} MB) against {mapFloats * 4 / 1e6:0.0} MB of the layers' maps over the images");
    return 0;
}

// GAN dissection of a generator layer against what it cannot avoid: the generator's and the segmenter's forward passes
// over the same samples, batched the same way. Interleaved (dissection, forwards, dissection, …), best of --repeat.
static int Gan(Options o, string repo)
{
    string cache = o.Get("cache", Path.Combine(repo, ".cache", "bench-gan"));
    var scenes = new UnitScope.Engine.Demo.GanDemoScenes();
    string generatorPath = o.Get("generator", UnitScope.Engine.Demo.DemoGenerator.EnsureTrained(cache, scenes, new()));
    string segmenterPath = o.Get("segmenter", UnitScope.Engine.Demo.DemoSegmenter.EnsureTrained(cache, scenes, new()));
    int samples = o.Int("samples", 1000), batch = o.Int("batch", 32), repeat = o.Int("repeat", 3);
    string device = o.Get("device", "cpu");
    using var generator = ModelSession.Load(generatorPath, new ModelOptions { Device = device });
    using var segmenter = UnitScope.Engine.Analysis.Gan.ModelSegmenter.Load(segmenterPath, device);
    string layer = o.Get("layer", "main.5");
    Console.WriteLine($"generator {Path.GetFileName(generatorPath)} (latent {generator.LatentSize}), layer {layer} {string.Join("x", generator.GetLayer(layer).OutputShape)}, device {generator.DeviceName}, torch threads {get_num_threads()}");
    Console.WriteLine($"data      {samples} samples, batch {batch}; best of {repeat}; load average {LoadAverage()}");
    var dissectOptions = new UnitScope.Engine.Analysis.Gan.GanDissectionOptions { Samples = samples, BatchSize = batch };

    double Forwards()
    {
        var clock = Stopwatch.StartNew();
        using var latents = randn([samples, generator.LatentSize, 1, 1], generator: new TorchSharp.torch.Generator(1));
        for (int start = 0; start < samples; start += batch)
        {
            using var scope = NewDisposeScope();
            var z = latents.narrow(0, start, Math.Min(batch, samples - start));
            var images = generator.ForwardBatch(z, [layer], pass => pass.Output.add(1).mul(0.5).clamp(0, 1).MoveToOuterDisposeScope());
            foreach (var map in segmenter.Segment(images).Values) map.Dispose();
        }
        return clock.Elapsed.TotalSeconds;
    }
    double Dissect()
    {
        var clock = Stopwatch.StartNew();
        UnitScope.Engine.Analysis.Gan.GanDissector.Run(generator, segmenter, layer, dissectOptions);
        return clock.Elapsed.TotalSeconds;
    }
    Forwards(); // warm-up
    double bestDissect = double.MaxValue, bestForward = double.MaxValue;
    for (int r = 0; r < repeat; r++)
    {
        bestDissect = Math.Min(bestDissect, Dissect());
        bestForward = Math.Min(bestForward, Forwards());
    }
    Console.WriteLine($"forwards  {bestForward:0.00} s (generator + segmenter, {samples / bestForward:0} samples/s)");
    Console.WriteLine($"dissect   {bestDissect:0.00} s ({samples / bestDissect:0} samples/s)");
    Console.WriteLine($"ratio     {bestDissect / bestForward:0.00} (target <= 1.3)");
    return 0;
}

static int Occlusion(Options o, string repo)
{
    string model = o.Get("model", "resnet18_small");
    int inputSize = o.Int("input-size", 112), size = o.Int("size", 16), stride = o.Int("stride", 8), batch = o.Int("batch", 32), repeat = o.Int("repeat", 5);
    using var session = ModelSession.Load(Path.Combine(repo, "tests", "fixtures", "models", model + ".pth"),
        new ModelOptions { InputHeight = inputSize, Device = o.Get("device", "cpu") });
    var image = ImageFile.Load(Path.Combine(repo, "samples", "images", "circle.png"));
    var occlusion = new OcclusionOptions { Size = size, Stride = stride, BatchSize = batch };
    string layer = Occluder.DefaultLayer(session)!;
    int positions = Occluder.Positions(inputSize, size, stride).Length * Occluder.Positions(inputSize, size, stride).Length;
    Console.WriteLine($"model     {model} at {inputSize}x{inputSize} px, device {session.DeviceName}, torch threads {get_num_threads()}, unit layer {layer}");
    Console.WriteLine($"occlusion {size}x{size} px square, stride {stride}: {positions} positions, batch {batch}, best of {repeat}");

    // The forward passes occlusion makes, with nothing else: the unoccluded image and ⌈positions / batch⌉ batches,
    // each of the same number of rows (at least Occluder.MinRowsPerPass, as the occluder pads them), the layer hooked.
    var rows = new List<int> { Occluder.MinRowsPerPass };
    for (int start = 0; start < positions; start += batch)
        rows.Add(Math.Max(Occluder.MinRowsPerPass, Math.Min(batch, positions - start)));
    using var input = ImageTensor.ToInput(image, session.Input);
    (double Wall, double Cpu) Forward()
    {
        double cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        foreach (int n in rows)
        {
            using var scope = NewDisposeScope();
            session.ForwardBatch(input.expand(n, -1, -1, -1).clone(), [layer], pass => pass.Output.cpu().data<float>()[0]);
        }
        return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
    }
    (double Wall, double Cpu) OneAtATime()
    {
        double cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i <= positions; i++)
        {
            using var scope = NewDisposeScope();
            session.ForwardBatch(input.clone(), [layer], pass => pass.Output.cpu().data<float>()[0]);
        }
        return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
    }
    (double Wall, double Cpu) Occlude()
    {
        double cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        Occluder.Run(session, image, occlusion);
        return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
    }

    Occluder.Run(session, image, occlusion with { Stride = Math.Max(stride, inputSize / 2) }); // warm-up
    Forward();
    // Alternating, best of each (the machine may be shared): wall and this process's CPU seconds.
    (double Wall, double Cpu) occluded = (double.MaxValue, double.MaxValue), forward = occluded, single = occluded;
    static (double, double) Best((double Wall, double Cpu) a, (double Wall, double Cpu) b) => (Math.Min(a.Wall, b.Wall), Math.Min(a.Cpu, b.Cpu));
    for (int r = 0; r < repeat; r++)
    {
        occluded = Best(occluded, Occlude());
        forward = Best(forward, Forward());
        if (r < Math.Max(1, repeat / 2))
            single = Best(single, OneAtATime());
    }
    Console.WriteLine();
    Console.WriteLine("                                                   wall s    cpu s");
    Console.WriteLine($"occlusion (Occluder.Run, batch {batch,3})              {occluded.Wall,8:F3} {occluded.Cpu,8:F3}   {positions / occluded.Wall:F0} positions/s");
    Console.WriteLine($"plain forward passes, same batches ({rows.Count,3} passes)  {forward.Wall,8:F3} {forward.Cpu,8:F3}");
    Console.WriteLine($"one copy at a time (plain batch-1 passes, {positions + 1,4})  {single.Wall,8:F3} {single.Cpu,8:F3}");
    Console.WriteLine();
    Console.WriteLine($"ratio occlusion / plain forward passes batched the same way: wall {occluded.Wall / forward.Wall:F3}, cpu {occluded.Cpu / forward.Cpu:F3} (target <= 1.1)");
    Console.WriteLine($"speed-up of batching (batch {batch}) over one copy at a time: wall {single.Wall / occluded.Wall:F2}x, cpu {single.Cpu / occluded.Cpu:F2}x");
    Console.WriteLine($"load average now: {LoadAverage()} on {Environment.ProcessorCount} cores (wall ratios are only as good as the machine is quiet)");
    return 0;
}

static int Ablation(Options o, string repo)
{
    string model = o.Get("model", "vgg16_small");
    int inputSize = o.Int("input-size", 112), images = o.Int("images", 600), batch = o.Int("batch", 64), repeat = o.Int("repeat", 2);
    using var session = ModelSession.Load(Path.Combine(repo, "tests", "fixtures", "models", model + ".pth"),
        new ModelOptions { InputHeight = inputSize, Device = o.Get("device", "cpu") });
    string[] layers = o.Get("layers", "") is { Length: > 0 } l ? l.Split(',') : DefaultLayers(session);
    var probe = ProbeSet.EnsureBuiltIn(Path.Combine(repo, ".cache", "bench-probe"), new ProbeSetOptions { Count = images, ImageSize = inputSize });
    var set = EvaluationSet.FromProbe(probe);
    string cls = o.Get("class", "beach");
    int classIndex = EvaluationSet.ResolveClass(set, cls);
    int[] classImages = [.. Enumerable.Range(0, set.Count).Where(i => set.ClassOf(i) == classIndex)];
    Console.WriteLine($"model     {model} at {inputSize}x{inputSize} px, device {session.DeviceName}, torch threads {get_num_threads()}");
    Console.WriteLine($"data      probe set scenes, class '{cls}': {classImages.Length} of {set.Count} images; batch {batch} samples; best of {repeat}");
    Console.WriteLine();

    // One evaluation pass: the class's images through the intact model, predictions and log-probabilities read back.
    var loaded = classImages.Select(i => set.Load(i).Image).ToArray();
    double EvaluationPass()
    {
        var clock = Stopwatch.StartNew();
        int perPass = Math.Max(1, batch);
        for (int start = 0; start < loaded.Length; start += perPass)
        {
            using var scope = NewDisposeScope();
            var chunk = loaded[start..Math.Min(loaded.Length, start + perPass)];
            session.ForwardBatch(chunk, [], pass => nn.functional.log_softmax(pass.Output, 1).argmax(1).cpu().data<long>()[0]);
        }
        return clock.Elapsed.TotalSeconds;
    }
    EvaluationPass(); // warm-up

    Console.WriteLine("layer            units  output      eval pass s  rank all units s  eval pass x units s  ratio  unit sets/s");
    foreach (string layer in layers)
    {
        var info = session.GetLayer(layer);
        double pass = double.MaxValue, rank = double.MaxValue;
        for (int r = 0; r < repeat; r++)
        {
            pass = Math.Min(pass, EvaluationPass());
            var clock = Stopwatch.StartNew();
            double unitsDone = 0;
            var progress = new SyncProgress<AblationProgress>(p => { if (p.Phase == UnitScope.Engine.Analysis.AnalysisPhase.Curve && unitsDone == 0) unitsDone = clock.Elapsed.TotalSeconds; });
            Ablator.Rank(session, set, new RankingRequest { Layer = layer, Class = cls, Top = 1, RandomDraws = 1, BatchSize = batch }, progress);
            rank = Math.Min(rank, unitsDone > 0 ? unitsDone : clock.Elapsed.TotalSeconds);
        }
        double naive = pass * info.Units;
        Console.WriteLine($"{layer,-16} {info.Units,5}  {string.Join("x", info.OutputShape),-10}  {pass,11:F3}  {rank,16:F2}  {naive,19:F2}  {rank / naive,5:F2}  {(info.Units + 1) / rank,11:F1}");
    }
    Console.WriteLine();
    Console.WriteLine("rank all units: every unit removed alone (and the intact model) over the class's images, until the top-k curve starts;");
    Console.WriteLine("ratio = rank all units / (one evaluation pass x units): below 1, the units share work (many unit sets per forward pass,");
    Console.WriteLine("the layers before the ablated one computed once per image); deeper layers share more.");
    Console.WriteLine($"load average now: {LoadAverage()} on {Environment.ProcessorCount} cores");
    return 0;
}

/// <summary>Two convolutional outputs, one early and one late, plus the last one.</summary>
static string[] DefaultLayers(ModelSession session)
{
    var spatial = session.Layers.Where(l => l.OutputShape.Count == 3 && l.Kind is "ReLU" or "BasicBlock" or "Bottleneck" or "Sequential").ToList();
    if (spatial.Count == 0) spatial = [.. session.Layers.Where(l => l.OutputShape.Count == 3)];
    return [.. new[] { spatial[spatial.Count / 4], spatial[spatial.Count / 2], spatial[^1] }.Select(l => l.Name).Distinct()];
}

static int Attack(Options o, string repo)
{
    string model = o.Get("model", "resnet18_small");
    string path = o.Get("checkpoint", Path.Combine(repo, "tests", "fixtures", "models", model + ".pth"));
    int inputSize = o.Int("input-size", 112), images = o.Int("images", 16), batch = o.Int("batch", 8), steps = o.Int("steps", 10), repeat = o.Int("repeat", 3);
    using var session = ModelSession.Load(path, new ModelOptions { InputHeight = inputSize, Device = o.Get("device", "cpu") });
    var random = new Random(1);
    var inputs = Enumerable.Range(0, images).Select(i =>
    {
        var px = new byte[inputSize * inputSize * 3];
        random.NextBytes(px);
        return new AttackInput($"noise {i}", new RgbImage(inputSize, inputSize, 3, px));
    }).ToList();
    var attack = new AttackOptions { Method = AttackMethod.Pgd, Epsilon = 8 / 255.0, Steps = steps, BatchSize = batch };
    Console.WriteLine($"model     {Path.GetFileName(path)} at {inputSize}x{inputSize} px, device {session.DeviceName}, torch threads {get_num_threads()}");
    Console.WriteLine($"attack    PGD {steps} steps on {images} images, batch {batch}; best of {repeat}; load average {LoadAverage()}");

    // The baseline: one forward and backward pass (the input's gradient) per batch, the images batched the same way.
    var sized = inputs.Select(i => AdversarialAttack.ModelSized(i.Image, session.Input)).ToList();
    (double Wall, double Cpu) ForwardBackward()
    {
        double cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        for (int first = 0; first < images; first += batch)
        {
            using var scope = NewDisposeScope();
            var pixels = AdversarialAttack.Pixels(sized.GetRange(first, Math.Min(batch, images - first)));
            var (mean, std) = PixelAttack.Normalisation(session.Input, session.Device);
            PixelAttack.LossGradient(session, pixels.to(session.Device), mean, std, zeros([pixels.shape[0]], ScalarType.Int64).to(session.Device)).sum().item<float>();
        }
        return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
    }
    // PixelAttack.Perturb alone on the same batches: the steps without the 8-bit rounding and the predictions.
    (double Wall, double Cpu) Perturb(AttackOptions options)
    {
        double cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        for (int first = 0; first < images; first += batch)
        {
            using var scope = NewDisposeScope();
            var pixels = AdversarialAttack.Pixels(sized.GetRange(first, Math.Min(batch, images - first)));
            PixelAttack.Perturb(session, pixels, new long[pixels.shape[0]], false, options);
        }
        return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
    }
    (double Wall, double Cpu) Run(AttackOptions options)
    {
        double cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        AdversarialAttack.Run(session, inputs, options);
        return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
    }
    Run(attack with { Steps = 1 }); // warm-up
    ForwardBackward();
    (double Wall, double Cpu) pgd = (double.MaxValue, double.MaxValue), fgsm = pgd, pass = pgd, steps1 = pgd;
    static (double, double) Best((double Wall, double Cpu) a, (double Wall, double Cpu) b) => (Math.Min(a.Wall, b.Wall), Math.Min(a.Cpu, b.Cpu));
    for (int r = 0; r < repeat; r++)
    {
        pgd = Best(pgd, Run(attack));
        fgsm = Best(fgsm, Run(attack with { Method = AttackMethod.Fgsm }));
        pass = Best(pass, ForwardBackward());
        steps1 = Best(steps1, Perturb(attack));
    }
    Console.WriteLine();
    Console.WriteLine("                                              wall s    cpu s   ratio to forward+backward (wall, cpu)");
    void Line(string what, (double Wall, double Cpu) t, double passes) =>
        Console.WriteLine($"{what,-44} {t.Wall,8:F3} {t.Cpu,8:F3}   {t.Wall / (pass.Wall * passes),6:F2} {t.Cpu / (pass.Cpu * passes),6:F2}");
    Line("forward+backward pass over the images", pass, 1);
    Line("FGSM (AdversarialAttack.Run), per step", fgsm, 1);
    Line($"PGD {steps} steps (AdversarialAttack.Run), per step", pgd, steps);
    Line($"PGD {steps} steps (PixelAttack.Perturb), per step", steps1, steps);
    Console.WriteLine($"cost per image: PGD {pgd.Wall / images * 1000:F0} ms wall, one forward+backward {pass.Wall / images * 1000:F1} ms; AdversarialAttack.Run adds two forward passes (predictions) and the 8-bit rounding");
    Console.WriteLine($"load average now: {LoadAverage()} on {Environment.ProcessorCount} cores (ratios are only as good as the machine is quiet)");
    return 0;
}

static double CpuNow() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

/// <summary>Seconds for the forward passes over <paramref name="set"/> alone, decoded and batched as the analyses do, the
/// layers hooked and handed to <paramref name="consume"/> (what the analysis would read of them).</summary>
static double ForwardPasses(ModelSession session, IImageSet set, IReadOnlyCollection<string> layers, int batch, Func<UnitScope.Engine.Analysis.ForwardPass, float> consume)
{
    var clock = Stopwatch.StartNew();
    for (int start = 0; start < set.Count; start += batch)
    {
        int n = Math.Min(batch, set.Count - start);
        var loaded = new RgbImage[n];
        int first = start;
        Parallel.For(0, n, i => loaded[i] = set.Load(first + i));
        using var scope = NewDisposeScope();
        session.ForwardBatch(ImageTensor.ToBatch(loaded, session.Input), layers, consume);
    }
    return clock.Elapsed.TotalSeconds;
}

static string LoadAverage()
{
    try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); } catch (Exception) { return "?"; }
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
    throw new InvalidOperationException("Backend.sln not found above " + AppContext.BaseDirectory);
}

sealed record Options(Dictionary<string, string> Values)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Options are --name value pairs, not '{args[i]}'.");
            values[args[i][2..]] = args[i + 1];
        }
        return new Options(values);
    }

    public string Get(string name, string fallback) => Values.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback) => Values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}


