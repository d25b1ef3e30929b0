using System.Diagnostics;
using System.Globalization;
using UnitScope.Bench;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;

// bench/dissect: network dissection against forward passes alone, on the same images, batch size and
// layers, at 1× and 4× the images; prints times, the ratio, images/s and peak memory per run.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var arguments = Arguments.Parse(args);
string repo = FindRepoRoot();
string checkpoint = Path.Combine(repo, "tests", "fixtures", "models", arguments.Model + ".pth");

using var model = ModelSession.Load(checkpoint, new ModelOptions { InputHeight = arguments.InputSize, Device = "cpu" });
var layers = arguments.Layers;
var shapes = layers.Select(model.GetLayer).ToList();
Console.WriteLine($"model     {arguments.Model} at {arguments.InputSize}x{arguments.InputSize} px, device {model.DeviceName}, torch threads {TorchSharp.torch.get_num_threads()}");
Console.WriteLine($"layers    {string.Join(", ", shapes.Select(l => $"{l.Name} [{string.Join("x", l.OutputShape)}]"))}");
Console.WriteLine($"probe set synthetic, masks {arguments.InputSize / 2}x{arguments.InputSize / 2}, 4 categories (2 part maps, image-level scene), batch {arguments.BatchSize}, best of {arguments.Repeat}");
Console.WriteLine();

// Warm-up: JIT, libtorch's allocator and thread pool.
Measure.Forward(model, new SyntheticProbeSet(2 * arguments.BatchSize, arguments.InputSize), layers, arguments.BatchSize);
Measure.Dissect(model, new SyntheticProbeSet(2 * arguments.BatchSize, arguments.InputSize), layers, arguments.BatchSize);

// Each size: forward-only and dissection alternately, --repeat times; the fastest of each counts
// (the machine is shared), and peak memory is the largest seen.
var rows = new List<(int Images, double Forward, double ForwardCpu, Measure.DissectRun Run)>();
foreach (int scale in new[] { 1, arguments.Scale })
{
    int images = arguments.Images * scale;
    var data = new SyntheticProbeSet(images, arguments.InputSize);
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
    rows.Add((images, forward.Wall, forward.Cpu, best! with { PeakRssMiB = peakRss, PeakManagedMiB = peakManaged }));
}

long spillPerImage = shapes.Sum(l => (long)l.OutputShape.Aggregate(1, (a, b) => a * b) * sizeof(float));
Console.WriteLine("images  forward s  dissect s  (pass1 s  pass2 s)  dissect/forward  cpu-time ratio  images/s  peak RSS MiB  peak managed MiB  spill on disk MiB");
foreach (var (images, forward, forwardCpu, run) in rows)
    Console.WriteLine($"{images,6}  {forward,9:F2}  {run.Seconds,9:F2}  ({run.Pass1Seconds,7:F2}  {run.Seconds - run.Pass1Seconds,7:F2})  {run.Seconds / forward,15:F2}  {run.CpuSeconds / forwardCpu,14:F2}  {images / run.Seconds,8:F0}  {run.PeakRssMiB,12:F0}  {run.PeakManagedMiB,16:F1}  {images * spillPerImage / 1048576.0,17:F1}");
Console.WriteLine();
var (small, large) = (rows[0], rows[^1]);
Console.WriteLine($"load average now: {Measure.LoadAverage()} on {Environment.ProcessorCount} cores (wall-time ratios are only as good as the machine is quiet; cpu-time ratio: this process's CPU seconds)");
Console.WriteLine($"ratio dissect/forward at {small.Images} images: {small.Run.Seconds / small.Forward:F2}, at {large.Images}: {large.Run.Seconds / large.Forward:F2} (target <= 1.25)");
Console.WriteLine($"peak RSS {large.Images} vs {small.Images} images: {large.Run.PeakRssMiB / small.Run.PeakRssMiB:F2}x; peak managed heap: {large.Run.PeakManagedMiB / small.Run.PeakManagedMiB:F2}x (target: flat)");
Console.WriteLine($"labelled units at {large.Images} images: {string.Join(", ", large.Run.Result.Select(l => $"{l.Layer} {l.LabelledUnits}/{l.Units.Count}"))}");
Console.WriteLine("peak RSS: the kernel's VmHWM for this process, reset before each dissection (managed heap + libtorch + runtime);");
Console.WriteLine("peak managed: GC heap size sampled every 5 ms during the run. The spill is on disk (unlinked temp files), not in RAM.");

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
    throw new InvalidOperationException("Backend.sln not found above " + AppContext.BaseDirectory);
}

sealed record Arguments(string Model, int InputSize, string[] Layers, int Images, int Scale, int BatchSize, int Repeat)
{
    public static Arguments Parse(string[] args)
    {
        var a = new Arguments("resnet18_small", 112, ["layer3", "layer4"], 256, 4, 16, 3);
        for (int i = 0; i < args.Length; i++)
        {
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
                _ => throw new ArgumentException($"Unknown option {args[i]}: use --model --input-size --layers --images --scale --batch --repeat"),
            };
            i++;
        }
        return a;
    }
}
