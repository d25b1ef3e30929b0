using System.Diagnostics;
using TorchSharp;
using System.Globalization;
using UnitScope.Engine;
using UnitScope.Engine.Models;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

// What keeping oneDNN away from the convolutions it computes wrong costs (Runtime/OneDnnConvolutions).
//
// For each model, three ways to run the same forward pass on the same input, interleaved:
//   before  oneDNN always on (what every model ran with before the fix)
//   now     as ModelSession runs it: oneDNN off only where the model's check at load found it wrong
//   off     oneDNN always off (the simplest fix, for comparison)
// with each one's largest error against the model in float64 (relative to its largest output), and the ratios
// now/before and off/before of the median wall time and of the median CPU time of the process (all threads: less
// sensitive than wall time to other processes on a shared machine). "check s": OneDnnConvolutions.Affects, the
// measurement a model's load adds on a machine whose oneDNN is wrong.
// The models: torchvision's ResNet-18 at full width and 224 px (seeded random weights: what a user runs),
// and two small CNNs with odd channel counts from tests/fixtures/odd_channels (a zoo checkpoint and an ONNX graph).

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int batch = Option("--batch", 8), iterations = Option("--iterations", 6), warmup = Option("--warmup", 2);
if (Option("--threads", 0) is > 0 and var threads)
    set_num_threads(threads);
string repo = FindRepoRoot();
TorchRuntime.EnsureLoaded();

Console.WriteLine($"oneDNN self-check (20 and 50 input channels vs float64): relative error {OneDnnConvolutions.SelfCheckRelativeError:E1}, " +
    $"wrong on this machine: {(OneDnnConvolutions.WrongOnThisMachine ? "yes" : "no")}; torch threads {get_num_threads()}");
Console.WriteLine();
Console.WriteLine("                                                                   median wall time     wall ratios to before   cpu time ratios     error against float64");
Console.WriteLine("model                              batch  avoids  check s  before ms  now ms  off ms  now/before  off/before  now/bef.  off/bef.  err before  err now  err off");

string temp = Directory.CreateTempSubdirectory("unitscope-bench-conv-").FullName;
try
{
    Run("resnet18 (full width, 224 px)", ResNet18Checkpoint(temp), 224, batch);
    Run("smallcnn_odd (6/20/50/100, 32 px)", Path.Combine(repo, "tests", "fixtures", "odd_channels", "smallcnn_odd.pth"), 32, batch * 8);
    Run("oddnet.onnx (3..100 ch, 36 px)", Path.Combine(repo, "tests", "fixtures", "odd_channels", "oddnet.onnx"), 36, batch * 8);
}
finally
{
    Directory.Delete(temp, recursive: true);
}
Console.WriteLine();
Console.WriteLine($"load average now: {LoadAverage()} on {Environment.ProcessorCount} cores (ratios are measured in one run; absolute times only as good as the machine is quiet)");
return 0;

void Run(string label, string path, int size, int rows)
{
    var options = new ModelOptions { Device = "cpu", InputHeight = size };
    using var session = ModelSession.Load(path, options);
    using var reference = ModelSession.Load(path, options);
    reference.Module.to(float64);
    var model = session.Module;
    long[] image = [session.Input.Channels, session.Input.Height, session.Input.Width];

    var clock = Stopwatch.StartNew();
    bool affected = OneDnnConvolutions.Affects(model, image, CPU);
    double checkSeconds = clock.Elapsed.TotalSeconds;

    using var noGrad = no_grad();
    using var generator = new Generator(42);
    using var input = randn([rows, .. image], generator: generator);
    double scale;
    using (var expected = reference.Module.call(input.to(float64)))
        scale = expected.abs().max().item<double>();

    var modes = new (string Name, Func<IDisposable?> Backend)[]
    {
        ("before", () => null),
        ("now", () => session.AvoidsOneDnn ? OneDnnConvolutions.Avoid() : null),
        ("off", OneDnnConvolutions.Avoid),
    };
    var times = modes.ToDictionary(m => m.Name, _ => new List<double>());
    var cpuTimes = modes.ToDictionary(m => m.Name, _ => new List<double>());
    var errors = new Dictionary<string, double>();
    for (int i = 0; i < warmup + iterations; i++)
        for (int j = 0; j < modes.Length; j++)
        {
            // Rotating order, so drift in the machine's speed hits each alike.
            var (name, backend) = modes[(i + j) % modes.Length];
            using var scope = NewDisposeScope();
            using var held = backend();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var output = model.call(input);
            output.sum().item<float>();
            double ms = watch.Elapsed.TotalMilliseconds;
            if (i >= warmup)
            {
                times[name].Add(ms);
                cpuTimes[name].Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
            }
            if (i == 0)
            {
                using var expected = reference.Module.call(input.to(float64));
                errors[name] = (output.to(float64) - expected).abs().max().item<double>() / scale;
            }
        }
    double before = Median(times["before"]), now = Median(times["now"]), off = Median(times["off"]);
    double cpuBefore = Median(cpuTimes["before"]);
    Console.WriteLine($"{label,-34} {rows,5}  {(session.AvoidsOneDnn ? "yes" : "no"),6}  {checkSeconds,7:F2}  {before,9:F1}  {now,6:F1}  {off,6:F1}  " +
        $"{now / before,10:F2}  {off / before,10:F2}  {Median(cpuTimes["now"]) / cpuBefore,8:F2}  {Median(cpuTimes["off"]) / cpuBefore,8:F2}  " +
        $"{errors["before"],10:E1}  {errors["now"],7:E1}  {errors["off"],7:E1}");
    if (affected != session.AvoidsOneDnn)
        Console.WriteLine($"  (the check gave {affected} now but {session.AvoidsOneDnn} at load)");
}

// torchvision's resnet18 with seeded random weights and BatchNorm statistics, written by TorchSharp's Module.save
// (a .dat with torchvision's names loads by zoo detection).
static string ResNet18Checkpoint(string folder)
{
    manual_seed(20240229);
    using var model = ModelZoo.Build("resnet18", new ParameterShapes(new Dictionary<string, long[]>()));
    using (no_grad())
        foreach (var (name, tensor) in model.state_dict())
        {
            if (name.EndsWith("running_var", StringComparison.Ordinal)) tensor.copy_(rand_like(tensor) + 0.5);
            else if (name.EndsWith("running_mean", StringComparison.Ordinal)) tensor.copy_(randn_like(tensor) * 0.1);
        }
    string path = Path.Combine(folder, "resnet18.dat");
    model.save(path);
    return path;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static string LoadAverage()
{
    try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); } catch (Exception) { return "?"; }
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Backend.sln")))
            return dir.FullName;
    throw new InvalidOperationException("Backend.sln not found above " + AppContext.BaseDirectory);
}

int Option(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) && v > 0 ? v : fallback;
}
