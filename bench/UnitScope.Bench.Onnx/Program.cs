using System.Diagnostics;
using Google.Protobuf;
using TorchSharp;
using UnitScope.Engine.Models;
using UnitScope.Engine.Onnx;
using static TorchSharp.torch;
using P = global::Onnx;

// Interpreted ONNX vs the zoo, on the same full-width resnet18 weights.
//
// resnet18.graph.onnx is torchvision's resnet18 exported by PyTorch 1.13 (make_onnx_fixtures.py)
// with its BatchNorms kept as nodes and its initializers, named by the state_dict keys, made
// external and left out. Here the zoo's resnet18 gets seeded random weights (BatchNorm statistics
// included), those weights are written into the graph, and both models run the same batches.
// The ratio is ONNX time / zoo time (target ≤ 1.1).

int batch = Option("--batch", 8), size = Option("--size", 224), iterations = Option("--iterations", 10), warmup = Option("--warmup", 3);

torch.manual_seed(20240229);
using var zoo = ModelZoo.Build("resnet18", new ParameterShapes(new Dictionary<string, long[]>()));
using (torch.no_grad())
    foreach (var (name, tensor) in zoo.state_dict())
    {
        if (name.EndsWith("running_var", StringComparison.Ordinal)) tensor.copy_(torch.rand_like(tensor) + 0.5);
        else if (name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith("bn1.bias", StringComparison.Ordinal)) tensor.copy_(torch.randn_like(tensor) * 0.1);
    }
zoo.eval();

string folder = Directory.CreateTempSubdirectory("unitscope-bench-onnx-").FullName;
try
{
    string modelPath = Path.Combine(folder, "resnet18.onnx");
    var graph = P.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "resnet18.graph.onnx")));
    var weights = zoo.state_dict();
    foreach (var initializer in graph.Graph.Initializer)
    {
        var tensor = weights[initializer.Name].contiguous().cpu();
        if (!tensor.shape.SequenceEqual(initializer.Dims))
            throw new InvalidOperationException($"{initializer.Name}: zoo {string.Join("x", tensor.shape)}, graph {string.Join("x", initializer.Dims)}");
        initializer.RawData = ByteString.CopyFrom(tensor.bytes);
        initializer.ExternalData.Clear();
        initializer.DataLocation = P.TensorProto.Types.DataLocation.Default;
    }
    File.WriteAllBytes(modelPath, graph.ToByteArray());
    using var onnx = OnnxModel.Load(modelPath);

    using var noGrad = torch.no_grad();
    var input = torch.randn(batch, 3, size, size);
    using (var scope = torch.NewDisposeScope())
    {
        var expected = zoo.call(input);
        var actual = onnx.call(input);
        double error = (actual - expected).abs().max().item<float>() / expected.abs().max().item<float>();
        Console.WriteLine($"resnet18 (full width, {batch}x3x{size}x{size}, CPU, {torch.get_num_threads()} threads): ONNX vs zoo max relative difference {error:E2}");
    }

    var lastCpu = new Dictionary<nn.Module, double>();
    var zooTimes = new List<double>();
    var onnxTimes = new List<double>();
    var zooCpu = new List<double>();
    var onnxCpu = new List<double>();
    for (int i = 0; i < warmup + iterations; i++)
    {
        // Interleaved, in alternating order, so drift in the machine's speed hits both alike.
        double z, o;
        if (i % 2 == 0) { z = Time(zoo); o = Time(onnx); }
        else { o = Time(onnx); z = Time(zoo); }
        if (i < warmup) continue;
        zooTimes.Add(z);
        onnxTimes.Add(o);
        zooCpu.Add(lastCpu[zoo]);
        onnxCpu.Add(lastCpu[onnx]);
    }
    double zooMedian = Median(zooTimes), onnxMedian = Median(onnxTimes);
    Console.WriteLine($"zoo forward:  median {zooMedian:F1} ms (min {zooTimes.Min():F1}) over {iterations}");
    Console.WriteLine($"onnx forward: median {onnxMedian:F1} ms (min {onnxTimes.Min():F1}) over {iterations}");
    double pairedRatio = Median([.. onnxTimes.Zip(zooTimes, (a, b) => a / b)]);
    Console.WriteLine($"ratio onnx/zoo: {onnxMedian / zooMedian:F3} (medians), {pairedRatio:F3} (median of paired runs), {onnxTimes.Min() / zooTimes.Min():F3} (minima); target <= 1.1");
    // CPU time the process spent (all threads): less sensitive than wall time to other processes on the machine.
    Console.WriteLine($"cpu time: zoo median {Median(zooCpu):F1} ms, onnx median {Median(onnxCpu):F1} ms, ratio {Median(onnxCpu) / Median(zooCpu):F3}");

    double Time(nn.Module<Tensor, Tensor> model)
    {
        using var scope = torch.NewDisposeScope();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        model.call(input).sum().item<float>();
        double wall = watch.Elapsed.TotalMilliseconds;
        lastCpu[model] = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        return wall;
    }
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

int Option(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) && v > 0 ? v : fallback;
}
