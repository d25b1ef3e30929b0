using System.Diagnostics;
using System.Globalization;
using UnitScope.Bench;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;

// bench/dissect: network dissection against forward passes alone, on the same images, batch size and
// layers, at 1× and 4× the images; prints times, the ratio, images/s and peak memory per run.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args is ["probe", var cacheDir, var countText, var sizeText, var maskText])
{
    // `probe DIR COUNT SIZE MASK`: a Broden-format copy of the built-in probe set under DIR (made once), for
    // the full-width and side-by-side benchmarks; prints its folder.
    var made = ProbeSet.EnsureBuiltIn(cacheDir, new ProbeSetOptions
    {
        Count = int.Parse(countText), ImageSize = int.Parse(sizeText), MaskSize = int.Parse(maskText),
    });
    Console.WriteLine(made.Root);
    return;
}
var arguments = Arguments.Parse(args);
string repo = FindRepoRoot();
string checkpoint = arguments.Checkpoint ?? Path.Combine(repo, "tests", "fixtures", "models", arguments.Model + ".pth");

using var model = ModelSession.Load(checkpoint, new ModelOptions { InputHeight = arguments.InputSize, Device = "cpu" });
var layers = arguments.Layers;
var shapes = layers.Select(model.GetLayer).ToList();
Console.WriteLine($"model     {arguments.Model} at {arguments.InputSize}x{arguments.InputSize} px, device {model.DeviceName}, torch threads {TorchSharp.torch.get_num_threads()}");
Console.WriteLine($"layers    {string.Join(", ", shapes.Select(l => $"{l.Name} [{string.Join("x", l.OutputShape)}]"))}");
// The probe set: the built-in generated one (Broden format on disk, cached under .cache/bench-probe;
// PNGs decoded on every load) or an in-memory synthetic one generated on demand.
var generation = Stopwatch.StartNew();
Func<int, ISegmentationDataset> probe = arguments.Probe switch
{
    "builtin" => BuiltIn(arguments, repo),
    "synthetic" => n => new SyntheticProbeSet(n, arguments.InputSize),
    var folder => Folder(folder),
};
var sample = probe(arguments.Images * arguments.Scale);
Console.WriteLine($"probe set {arguments.Probe}: {sample.Count} images, masks {sample.Load(0).MaskHeight}x{sample.Load(0).MaskWidth}, " +
    $"categories {string.Join("/", sample.Categories)}, {sample.Concepts.Count} concepts (ready in {generation.Elapsed.TotalSeconds:F1} s); batch {arguments.BatchSize}, best of {arguments.Repeat}");
Console.WriteLine();

if (arguments.VersusPyTorch)
{
    ForwardParity.Run(model, checkpoint, probe(arguments.Images), layers[^1], arguments.BatchSize, arguments.Repeat, repo);
    return;
}
if (arguments.Png)
{
    CardEncode.Run(probe(arguments.Images));
    return;
}
if (arguments.Overhead)
{
    // What dissection adds to the forward passes, measured without them: activations captured once, then
    // dissected from memory (wall and this process's CPU seconds; robust to a shared machine's load).
    var data = probe(arguments.Images);
    var replay = new ReplayedActivations(model, data, layers, arguments.BatchSize);
    Measure.Forward(model, probe(2 * arguments.BatchSize), layers, arguments.BatchSize);
    var forward = Measure.Forward(model, data, layers, arguments.BatchSize);
    var counting = Measure.Dissect(replay, data, layers, arguments.BatchSize);
    Console.WriteLine($"{data.Count} images: forward passes {forward.Wall:F2} s wall, {forward.Cpu:F2} s CPU; dissection from captured activations " +
        $"{counting.Seconds:F2} s wall ({counting.Pass1Seconds:F2} s pass 1, {counting.Seconds - counting.Pass1Seconds:F2} s threshold search + IoU), {counting.CpuSeconds:F2} s CPU");
    Console.WriteLine($"(forward + dissection's own work) / forward: {(forward.Cpu + counting.CpuSeconds) / forward.Cpu:F2} in CPU seconds, " +
        $"{(forward.Wall + counting.Seconds) / forward.Wall:F2} in wall seconds (an upper bound: in a real run pass 1's counting overlaps the forward passes)");
    return;
}

// Warm-up: JIT, libtorch's allocator and thread pool.
Measure.Forward(model, probe(2 * arguments.BatchSize), layers, arguments.BatchSize);
Measure.Dissect(model, probe(2 * arguments.BatchSize), layers, arguments.BatchSize);

// Each size: forward-only and dissection alternately, --repeat times; the fastest of each counts
// (the machine is shared), and peak memory is the largest seen.
var rows = new List<(int Images, double Forward, double ForwardCpu, Measure.DissectRun Run)>();
foreach (int scale in new[] { 1, arguments.Scale })
{
    int images = arguments.Images * scale;
    var data = probe(images);
    (double Wall, double Cpu) forward = (double.MaxValue, double.MaxValue);
    Measure.DissectRun? best = null;
    double peakRss = 0, peakManaged = 0;
    for (int r = 0; r < arguments.Repeat; r++)
    {
        var f = Measure.Forward(model, data, layers, arguments.BatchSize);
        forward = (Math.Min(forward.Wall, f.Wall), Math.Min(forward.Cpu, f.Cpu));
        var run = Measure.Dissect(model, data, layers, arguments.BatchSize);
        peakRss = Math.Max(peakRss, run.PeakRssMiB);
        peakManaged = Math.Max(peakManaged, run.PeakManagedMiB);
        if (best is null || run.Seconds < best.Seconds) best = run;
    }
    // Memory: one more run, with the managed heap sampled after full collections (what is live).
    var live = Measure.Dissect(model, data, layers, arguments.BatchSize, liveHeap: true);
    rows.Add((images, forward.Wall, forward.Cpu, best! with { PeakRssMiB = Math.Max(peakRss, live.PeakRssMiB), PeakManagedMiB = live.PeakManagedMiB }));
}

long spillPerImage = shapes.Sum(l => (long)l.OutputShape.Aggregate(1, (a, b) => a * b) * sizeof(float));
Console.WriteLine("images  forward s  dissect s  (pass1 s  pass2 s)  dissect/forward  cpu-time ratio  images/s  peak RSS MiB  peak live managed MiB  spill on disk MiB");
foreach (var (images, forward, forwardCpu, run) in rows)
    Console.WriteLine($"{images,6}  {forward,9:F2}  {run.Seconds,9:F2}  ({run.Pass1Seconds,7:F2}  {run.Seconds - run.Pass1Seconds,7:F2})  {run.Seconds / forward,15:F2}  {run.CpuSeconds / forwardCpu,14:F2}  {images / run.Seconds,8:F0}  {run.PeakRssMiB,12:F0}  {run.PeakManagedMiB,21:F1}  {images * spillPerImage / 1048576.0,17:F1}");
Console.WriteLine();
var (small, large) = (rows[0], rows[^1]);
Console.WriteLine($"load average now: {Measure.LoadAverage()} on {Environment.ProcessorCount} cores (wall-time ratios are only as good as the machine is quiet; cpu-time ratio: this process's CPU seconds)");
Console.WriteLine($"ratio dissect/forward at {small.Images} images: {small.Run.Seconds / small.Forward:F2}, at {large.Images}: {large.Run.Seconds / large.Forward:F2} (target <= 1.25)");
Console.WriteLine($"peak RSS {large.Images} vs {small.Images} images: {large.Run.PeakRssMiB / small.Run.PeakRssMiB:F2}x; peak live managed heap: {large.Run.PeakManagedMiB / small.Run.PeakManagedMiB:F2}x (target: flat)");
Console.WriteLine($"labelled units at {large.Images} images: {string.Join(", ", large.Run.Result.Select(l => $"{l.Layer} {l.LabelledUnits}/{l.Units.Count}"))}");
Console.WriteLine("peak RSS: the kernel's VmHWM for this process, reset before each dissection (managed heap + libtorch + runtime);");
Console.WriteLine("peak live managed: GC.GetTotalMemory after a full collection at every batch, in one more run of each size (not timed),");
Console.WriteLine("  less the same just before the run: what the dissection itself holds.");
Console.WriteLine("The spill is on disk (unlinked temp files), not in RAM.");

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
    throw new InvalidOperationException("Backend.sln not found above " + AppContext.BaseDirectory);
}

/// <summary>The first n images of one built-in probe set of the largest size asked for.</summary>
static Func<int, ISegmentationDataset> BuiltIn(Arguments arguments, string repo)
{
    var set = ProbeSet.EnsureBuiltIn(Path.Combine(repo, ".cache", "bench-probe"), new ProbeSetOptions
    {
        Count = arguments.Images * arguments.Scale,
        ImageSize = arguments.InputSize,
        MaskSize = arguments.InputSize / 2,
    });
    return n => new FirstImages(set, n);
}

/// <summary>The first n images of a Broden-format folder (fewer when it has fewer).</summary>
static Func<int, ISegmentationDataset> Folder(string folder)
{
    var set = BrodenDataset.Open(folder);
    return n => new FirstImages(set, n);
}

sealed record Arguments(string Model, int InputSize, string[] Layers, int Images, int Scale, int BatchSize, int Repeat, string Probe, string? Checkpoint,
    bool Overhead = false, bool Png = false, bool VersusPyTorch = false)
{
    public static Arguments Parse(string[] args)
    {
        var a = new Arguments("resnet18_small", 112, ["layer3", "layer4"], 256, 4, 16, 5, "builtin", null);
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "--overhead" or "--png" or "--versus-pytorch")
            {
                a = args[i] switch
                {
                    "--png" => a with { Png = true },
                    "--versus-pytorch" => a with { VersusPyTorch = true },
                    _ => a with { Overhead = true },
                };
                continue;
            }
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            a = args[i] switch
            {
                "--model" => a with { Model = value },
                "--input-size" => a with { InputSize = int.Parse(value) },
                "--layers" => a with { Layers = value.Split(',') },
                "--images" => a with { Images = int.Parse(value) },
                "--scale" => a with { Scale = int.Parse(value) },
                "--batch" => a with { BatchSize = int.Parse(value) },
                "--repeat" => a with { Repeat = int.Parse(value) },
                "--probe" => a with { Probe = value },
                "--checkpoint" => a with { Checkpoint = Path.GetFullPath(value), Model = Path.GetFileNameWithoutExtension(value) },
                _ => throw new ArgumentException($"Unknown option {args[i]}: use --model --checkpoint --overhead --png --versus-pytorch --input-size --layers --images --scale --batch --repeat --probe"),
            };
            i++;
        }
        return a;
    }
}

/// <summary>A dataset's first <paramref name="count"/> images (its identity includes the count).</summary>
sealed class FirstImages(ISegmentationDataset inner, int count) : ISegmentationDataset
{
    public string Root => inner.Root;
    public string ContentHash => $"{inner.ContentHash}-first{count}";
    public IReadOnlyList<string> Categories => inner.Categories;
    public IReadOnlyList<Concept> Concepts => inner.Concepts;
    public int MaxConceptId => inner.MaxConceptId;
    public int Count => Math.Min(count, inner.Count);
    public ProbeSample Load(int index) => inner.Load(index);
}
