using System.Diagnostics;
using System.Text.Json;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using static TorchSharp.torch;

namespace UnitScope.Bench;

/// <summary>
/// `bench/dissect --versus-pytorch`: TorchSharp's forward passes against PyTorch's (Debian's, /usr/bin/python3) on the
/// same checkpoint, images, batch size and torch threads, alternately in one run, for 1 and 2 threads. Three
/// TorchSharp figures: the plain forward from tensors in memory (what PyTorch's figure is), the same with the
/// dissected layer hooked and copied out as dissection's activation source does, and that source itself from the
/// probe folder (image and mask decoding included). Wall and CPU seconds (this process, every thread).
/// </summary>
static class ForwardParity
{
    static double CpuNow() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    public static void Run(ModelSession model, string checkpoint, ISegmentationDataset data, string layer, int batchSize, int repeat, string repo)
    {
        var samples = Enumerable.Range(0, data.Count).Select(data.Load).ToList();
        var batches = samples.Chunk(batchSize).Select(c => ImageTensor.ToBatch(c.Select(s => s.Image).ToList(), model.Input)).ToList();
        var source = new ModelActivationSource(model);
        Console.WriteLine($"{data.Count} images of {model.Input.Width} px, batch {batchSize}, {model.Architecture}, layer {layer}; " +
            $"oneDNN avoided: {model.AvoidsOneDnn}; best of {repeat}; load average {Measure.LoadAverage()}");
        Console.WriteLine("threads  PyTorch wall / cpu   TorchSharp plain wall / cpu   hooked wall / cpu   from the folder wall / cpu   TorchSharp/PyTorch cpu");
        foreach (int threads in new[] { 1, 2 })
        {
            set_num_threads(threads);
            model.ForwardBatch(batches[0], [], _ => 0);
            (double Wall, double Cpu) py = (double.MaxValue, double.MaxValue), plain = py, hooked = py, folder = py;
            for (int r = 0; r < repeat; r++)
            {
                py = Min(py, PyTorch(repo, checkpoint, model.Architecture, data.Root, data.Count, batchSize, threads));
                plain = Min(plain, Time(() => { foreach (var b in batches) model.ForwardBatch(b, [], _ => 0); }));
                hooked = Min(hooked, Time(() =>
                {
                    foreach (var b in batches)
                        model.ForwardBatch(b, [layer], p => { p.Activations[layer].to(ScalarType.Float32).clone().Dispose(); return 0; });
                }));
                folder = Min(folder, Time(() =>
                {
                    for (int start = 0; start < data.Count; start += batchSize)
                    {
                        var batch = Enumerable.Range(start, Math.Min(batchSize, data.Count - start)).Select(data.Load).ToList();
                        foreach (var t in source.Forward(batch, [layer]).Values) t.Dispose();
                    }
                }));
            }
            Console.WriteLine($"{threads,7}  {py.Wall,8:F2} / {py.Cpu,6:F2}   {plain.Wall,17:F2} / {plain.Cpu,6:F2}   {hooked.Wall,11:F2} / {hooked.Cpu,5:F2}   " +
                $"{folder.Wall,19:F2} / {folder.Cpu,6:F2}   plain {plain.Cpu / py.Cpu:F2}, from the folder {folder.Cpu / py.Cpu:F2}");
        }
        Console.WriteLine($"load average now: {Measure.LoadAverage()}");
        foreach (var b in batches) b.Dispose();
    }

    static (double Wall, double Cpu) Min((double Wall, double Cpu) a, (double Wall, double Cpu) b) => (Math.Min(a.Wall, b.Wall), Math.Min(a.Cpu, b.Cpu));

    static (double Wall, double Cpu) Time(Action work)
    {
        double cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        work();
        return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
    }

    static (double Wall, double Cpu) PyTorch(string repo, string checkpoint, string arch, string folder, int images, int batch, int threads)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(repo, "bench", "fullwidth", "pytorch_forward.py"), checkpoint, arch, folder, $"{images}", $"{batch}", $"{threads}" })
            start.ArgumentList.Add(a);
        using var python = Process.Start(start) ?? throw new InvalidOperationException("/usr/bin/python3 did not start");
        var stderr = python.StandardError.ReadToEndAsync();
        string line = python.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
        python.WaitForExit();
        if (python.ExitCode != 0) throw new InvalidOperationException($"pytorch_forward.py failed: {stderr.Result}");
        using var json = JsonDocument.Parse(line);
        return (json.RootElement.GetProperty("wall").GetDouble(), json.RootElement.GetProperty("cpu").GetDouble());
    }
}
