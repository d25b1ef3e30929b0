using UnitScope.Engine.Models.Architectures;
using static TorchSharp.torch;

namespace UnitScope.Engine.Models;

/// <summary>The built-in architectures, by name, and detection of which one a checkpoint holds.</summary>
public static class ModelZoo
{
    static readonly IArchitectureFamily[] Families =
        [new SmallCnnFamily(), new AlexNetFamily(), new VggFamily(), new ResNetFamily(), new DcganGeneratorFamily(), new SceneSegmenterFamily()];

    public static IReadOnlyList<string> Names { get; } = [.. Families.SelectMany(f => f.Names)];

    /// <summary>Which architecture the checkpoint's keys and shapes describe, or null.</summary>
    public static string? Detect(ParameterShapes shapes) =>
        Families.Select(f => f.Detect(shapes)).FirstOrDefault(name => name is not null);

    public static int DefaultInputSize(string name) => FamilyOf(name).DefaultInputSize;

    /// <summary>Whether <paramref name="name"/> generates images from latent vectors (<see cref="IArchitectureFamily.IsGenerator"/>).</summary>
    public static bool IsGenerator(string name) => FamilyOf(name).IsGenerator;

    /// <summary>Builds <paramref name="name"/> (in eval mode, on the CPU) with widths read from <paramref name="shapes"/>.</summary>
    public static nn.Module<Tensor, Tensor> Build(string name, ParameterShapes shapes)
    {
        var model = FamilyOf(name).Build(Normalize(name), shapes);
        model.eval();
        return model;
    }

    /// <summary>
    /// The error for a state_dict no architecture recognises: the nearest zoo architectures by how
    /// many of their keys (with the right rank) the checkpoint has, and how to bring any other model
    /// in as ONNX instead.
    /// </summary>
    public static UnitScopeException UnknownArchitecture(string fileName, ParameterShapes shapes)
    {
        var nearest = Nearest(shapes).Where(n => n.Matched > 0).Take(3).ToList();
        string candidates = nearest.Count == 0
            ? "Its keys match none of the zoo's architectures"
            : "Nearest zoo architectures by their keys: " + string.Join(", ", nearest.Select(n =>
                $"{n.Name} ({n.Matched} of its {n.Expected} keys present{(n.Missing > 0 ? $", {n.Missing} missing" : "")}, {n.Extra} other keys)"));
        return new UnitScopeException(EngineErrorKind.UnknownArchitecture,
            $"Could not tell the architecture of {fileName} from its {shapes.Keys.Count} tensors " +
            $"(first: {string.Join(", ", shapes.Keys.Take(4))}). {candidates}. Known architectures: {string.Join(", ", Names)}; " +
            "pass one with --arch if the checkpoint is one of them. For any other architecture, export the model to ONNX " +
            "and open the .onnx file instead: torch.onnx.export(model, torch.randn(1, 3, H, W), \"model.onnx\").");
    }

    /// <summary>
    /// Every zoo architecture scored against the checkpoint: expected keys (from the architecture's
    /// key patterns, with their ranks) found in it, missing, and the checkpoint's other keys; best first.
    /// </summary>
    public static IReadOnlyList<(string Name, int Matched, int Expected, int Missing, int Extra)> Nearest(ParameterShapes shapes)
    {
        int Rank(string key)
        {
            int rank = 0;
            while (shapes.Dim(key, rank, -1) != -1) rank++;
            return rank;
        }
        var present = shapes.Keys.Where(k => !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToDictionary(k => k, Rank);
        return [.. Names
            .Select(name =>
            {
                var expected = ExpectedKeys(name);
                int matched = expected.Count(e => present.TryGetValue(e.Key, out int rank) && rank == e.Value);
                int extra = present.Keys.Count(k => !expected.ContainsKey(k));
                return (Name: name, Matched: matched, Expected: expected.Count, Missing: expected.Count - matched, Extra: extra);
            })
            .OrderByDescending(n => (double)n.Matched / (n.Expected + n.Extra))
            .ThenBy(n => n.Expected)];
    }

    /// <summary>The state_dict keys (without num_batches_tracked) and ranks of a zoo architecture, from its key patterns.</summary>
    static Dictionary<string, int> ExpectedKeys(string name)
    {
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        void Conv(string prefix, bool bias = true) { keys[prefix + ".weight"] = 4; if (bias) keys[prefix + ".bias"] = 1; }
        void Linear(string prefix) { keys[prefix + ".weight"] = 2; keys[prefix + ".bias"] = 1; }
        void Norm(string prefix) { foreach (string p in (string[])["weight", "bias", "running_mean", "running_var"]) keys[$"{prefix}.{p}"] = 1; }

        if (name == "smallcnn")
        {
            for (int i = 1; i <= 4; i++) { Conv($"conv{i}"); Norm($"bn{i}"); }
            Linear("fc");
        }
        else if (name == "alexnet")
        {
            foreach (int i in (int[])[0, 3, 6, 8, 10]) Conv($"features.{i}");
            foreach (int i in (int[])[1, 4, 6]) Linear($"classifier.{i}");
        }
        else if (name == "dcgan")
        {
            // The shortest DCGAN (32 px): three hidden blocks and the output convolution.
            for (int i = 0; i < 4; i++) { keys[$"main.{3 * i}.weight"] = 4; if (i < 3) Norm($"main.{3 * i + 1}"); }
        }
        else if (name == "scenesegmenter")
        {
            Conv("stem.0"); Norm("stem.1");
            foreach (string stage in (string[])["down1", "down2"]) { Conv($"{stage}.0"); Norm($"{stage}.1"); Conv($"{stage}.3"); Norm($"{stage}.4"); }
            Conv("head");
        }
        else if (ResNetConfig.Depths.TryGetValue(name, out var depth))
        {
            Conv("conv1", bias: false);
            Norm("bn1");
            int convs = depth.Bottleneck ? 3 : 2;
            for (int layer = 1; layer <= 4; layer++)
                for (int block = 0; block < depth.Blocks[layer - 1]; block++)
                {
                    string prefix = $"layer{layer}.{block}";
                    for (int c = 1; c <= convs; c++) { Conv($"{prefix}.conv{c}", bias: false); Norm($"{prefix}.bn{c}"); }
                    if (block == 0 && (layer > 1 || depth.Bottleneck)) { Conv($"{prefix}.downsample.0", bias: false); Norm($"{prefix}.downsample.1"); }
                }
            Linear("fc");
        }
        else
        {
            bool batchNorm = name.EndsWith("_bn", StringComparison.Ordinal);
            int index = 0;
            foreach (int width in Vgg.Layouts[batchNorm ? name[..^3] : name])
            {
                if (width == Vgg.Pool) { index++; continue; }
                Conv($"features.{index}");
                if (batchNorm) Norm($"features.{index + 1}");
                index += batchNorm ? 3 : 2;
            }
            foreach (int i in (int[])[0, 3, 6]) Linear($"classifier.{i}");
        }
        return keys;
    }

    public static string Normalize(string name) => name.Trim().ToLowerInvariant().Replace("-", "");

    static IArchitectureFamily FamilyOf(string name) =>
        Families.FirstOrDefault(f => f.Names.Contains(Normalize(name)))
        ?? throw new UnitScopeException(EngineErrorKind.UnknownArchitecture,
            $"Unknown architecture '{name}'. Known: {string.Join(", ", Names)}.");
}
