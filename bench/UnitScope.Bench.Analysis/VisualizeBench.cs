using System.Diagnostics;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Maximization;
using UnitScope.Engine.Imaging;
using static TorchSharp.torch;

/// <summary>
/// bench/visualize: activation maximisation's steps per second against plain forward+backward passes of the same size
/// (one image at the model's input size, the gradient of the unit's mean activation with respect to the input), the
/// issue's target being ≥ 0.9. A step adds to that pass the upsampling of the round's smaller image, the jitter, Adam
/// and the clamp.
/// </summary>
static class VisualizeBench
{
    public static int Run(Options o, string repo)
    {
        string model = o.Get("model", "vgg16_small");
        string path = o.Get("checkpoint", Path.Combine(repo, "tests", "fixtures", "models", model + ".pth"));
        int inputSize = o.Int("input-size", 112), steps = o.Int("steps", 24), repeat = o.Int("repeat", 3);
        using var session = ModelSession.Load(path, new ModelOptions { InputHeight = inputSize, Device = o.Get("device", "cpu") });
        string layer = o.Get("layer", session.Layers.Last(l => l.OutputShape.Count == 3 && l.Kind.Contains("Conv", StringComparison.Ordinal)).Name);
        int unit = o.Int("unit", 0);
        // Rounds of 4 steps, so the upscaling between rounds is counted too, as in the default recipe (12 × 20).
        var options = new MaximizationOptions { Rounds = Math.Max(1, steps / 4), StepsPerRound = 4, Seed = 1 };
        int total = options.Rounds * options.StepsPerRound;
        Console.WriteLine($"model     {Path.GetFileName(path)} at {inputSize}x{inputSize} px, device {session.DeviceName}, torch threads {get_num_threads()}");
        Console.WriteLine($"visualize {layer} unit {unit}: {options.Rounds} rounds x {options.StepsPerRound} steps; best of {repeat}; load average {LoadAverage()}");

        var start = ActivationMaximizer.StartImage(session.Input, options);
        (double Wall, double Cpu) Passes()
        {
            double cpu = CpuNow();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < total; i++)
            {
                using var scope = NewDisposeScope();
                var input = ImageTensor.ToInput(start, session.Input).requires_grad_(true);
                session.ForwardWithGradient(input, [layer], pass =>
                {
                    var objective = pass.Activations[layer].select(1, unit).mean();
                    return autograd.grad([objective], [input])[0].sum().item<float>();
                });
            }
            return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
        }
        (double Wall, double Cpu) Maximise()
        {
            double cpu = CpuNow();
            var clock = Stopwatch.StartNew();
            ActivationMaximizer.Run(session, layer, unit, options);
            return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
        }
        Maximise(); // warm-up
        Passes();
        (double Wall, double Cpu) pass = (double.MaxValue, double.MaxValue), run = pass;
        for (int r = 0; r < repeat; r++)
        {
            run = Best(run, Maximise());
            pass = Best(pass, Passes());
        }
        Console.WriteLine();
        Console.WriteLine("                                         wall s    cpu s   steps/s (wall)");
        Console.WriteLine($"{"forward+backward passes",-38} {pass.Wall,8:F3} {pass.Cpu,8:F3}   {total / pass.Wall,8:F2}");
        Console.WriteLine($"{"activation maximisation steps",-38} {run.Wall,8:F3} {run.Cpu,8:F3}   {total / run.Wall,8:F2}");
        Console.WriteLine($"ratio (maximisation steps/s over passes/s): wall {pass.Wall / run.Wall:F2}, cpu {pass.Cpu / run.Cpu:F2}  (target >= 0.9)");
        Console.WriteLine($"load average now: {LoadAverage()} on {Environment.ProcessorCount} cores (ratios are only as good as the machine is quiet)");
        return 0;
    }

    static (double, double) Best((double Wall, double Cpu) a, (double Wall, double Cpu) b) => (Math.Min(a.Wall, b.Wall), Math.Min(a.Cpu, b.Cpu));

    static double CpuNow() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); } catch (IOException) { return "?"; }
    }
}
