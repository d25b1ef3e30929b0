using System.Security.Cryptography;
using System.Text;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Correspondence;

/// <summary>
/// Correspondence analysis (Zeiler &amp; Fergus 2014, §5.1 and table 1): does the network relate the same part of
/// different objects (the left eye of five dogs) without being told? The same part is hidden in every image, and at a
/// layer the change of each image's feature vector, ε_i = x_i − x̃_i, is compared across images by the Hamming
/// distance between their signs: Δ_l = Σ_{i≠j} H(sign ε_i, sign ε_j). A Δ lower than for random boxes (the control,
/// each the size of the part's box in its image) means hiding that part changes the features in a consistent way.
/// </summary>
/// <remarks>
/// Boxes are in each image's own pixels, and are painted into the image before it is sized for the model (its
/// description's resize and centre crop, then the resize to the input): the model sees the part hidden wherever the
/// sizing puts it. The box is filled with one colour (by default the normalisation mean, as occlusion's square).
/// A feature vector is a layer's whole output for an image (units × positions). Every forward pass has at least
/// <see cref="PaddedBatch.MinRows"/> rows, so identical images with identical boxes give identical ε, and Δ = 0.
/// </remarks>
public static class CorrespondenceAnalysis
{
    /// <summary>Computes Δ per part and layer, beside random boxes.</summary>
    /// <param name="sizing">How each (occluded) image is sized for the model (null: its description's sizing).</param>
    /// <exception cref="UnitScopeException">InvalidArgument (a box outside its image or empty, a part in fewer than
    /// two images, a bad fill, draws or batch size), UnknownLayer.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled (checked between batches).</exception>
    public static CorrespondenceResult Run(ModelSession model, IReadOnlyList<PartImage> images, CorrespondenceOptions? options = null,
        ImageFolderOptions? sizing = null, IProgress<CorrespondenceProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options = Resolve(model, images, options ?? new CorrespondenceOptions());
        var layers = options.Layers!;
        var fill = FillBytes(model.Input, options.FillRgb);
        var parts = PartNames(images);

        // Every occluded image to evaluate: each part's boxes, then each random draw's, in a fixed order (seeded).
        var random = new Random(options.Seed);
        var jobs = new List<(int Image, Box Box)>();
        var partJobs = new Dictionary<string, (int[] Images, int First, int[] DrawFirsts)>();
        foreach (string part in parts)
        {
            int[] showing = [.. Enumerable.Range(0, images.Count).Where(i => images[i].Parts.ContainsKey(part))];
            int first = jobs.Count;
            foreach (int i in showing) jobs.Add((i, images[i].Parts[part]));
            var draws = new int[options.RandomDraws];
            for (int d = 0; d < options.RandomDraws; d++)
            {
                draws[d] = jobs.Count;
                foreach (int i in showing) jobs.Add((i, RandomBox(random, images[i].Image, images[i].Parts[part])));
            }
            partJobs[part] = (showing, first, draws);
        }
        int total = images.Count + jobs.Count, done = 0;
        progress?.Report(new CorrespondenceProgress(0, total));

        using var scope = NewDisposeScope();
        // The originals' feature vectors [1, D] per image and layer.
        var originals = new Tensor[images.Count][];
        Evaluate(model, [.. images.Select(p => p.Image)], options.BatchSize, sizing, layers, (k, features) => originals[k] = [.. features.Select(f => f.clone().MoveToOuterDisposeScope())], ref done, total, progress, ct);
        // Each occluded image's sign of ε per layer, as int8 [D].
        var signs = new Tensor[jobs.Count][];
        Evaluate(model, [.. jobs.Select(j => Occluded(images[j.Image].Image, j.Box, fill))], options.BatchSize, sizing, layers,
            (k, features) => signs[k] = [.. features.Select((f, l) => originals[jobs[k].Image][l].sub(f).sign().to(ScalarType.Int8).reshape(-1).MoveToOuterDisposeScope())],
            ref done, total, progress, ct);

        var featureSizes = layers.Select(l => model.GetLayer(l).OutputShape.Aggregate(1, (a, b) => a * b)).ToList();
        var results = new List<PartResult>();
        foreach (string part in parts)
        {
            var (showing, first, draws) = partJobs[part];
            var perLayer = new List<PartConsistency>();
            for (int l = 0; l < layers.Count; l++)
            {
                var real = Delta([.. Enumerable.Range(first, showing.Length).Select(k => signs[k][l])]);
                var control = draws.Select(d => Delta([.. Enumerable.Range(d, showing.Length).Select(k => signs[k][l])]).Mean).ToList();
                double mean = control.Count == 0 ? double.NaN : control.Average();
                double std = control.Count < 2 ? 0 : Math.Sqrt(control.Sum(v => (v - mean) * (v - mean)) / (control.Count - 1));
                perLayer.Add(new PartConsistency(layers[l], real, control.Count == 0 ? 0 : mean, std, control));
            }
            results.Add(new PartResult(part, [.. showing.Select(i => images[i].Name)], perLayer));
        }
        return new CorrespondenceResult(model.CheckpointHash, SetHash(images), options, layers, featureSizes, results);
    }

    /// <summary>The options with their defaults (layers) filled in, checked with the images and their boxes.</summary>
    /// <exception cref="UnitScopeException">As <see cref="Run"/>.</exception>
    public static CorrespondenceOptions Resolve(ModelSession model, IReadOnlyList<PartImage> images, CorrespondenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        if (images.Count < 2)
            throw Invalid($"Correspondence compares images in pairs: give at least 2 images, not {images.Count}.");
        foreach (var image in images)
        {
            image.Image.Validate();
            foreach (var (part, box) in image.Parts)
                CheckBox(image, part, box);
        }
        var parts = PartNames(images);
        if (parts.Count == 0)
            throw Invalid("No image has a part box: give each image the boxes of the parts to hide (\"boxes\": {\"part\": [x, y, width, height]}).");
        foreach (string part in parts)
        {
            var showing = images.Where(i => i.Parts.ContainsKey(part)).Select(i => i.Name).ToList();
            if (showing.Count < 2)
                throw Invalid($"Part '{part}' has a box in only one image ({showing[0]}): correspondence compares pairs of images, so give it in at least 2.");
        }
        var layers = options.Layers is { Count: > 0 } given ? given.Select(l => l.Trim()).Distinct().ToList() : DefaultLayers(model);
        foreach (string layer in layers) model.GetLayer(layer);
        if (layers.Count == 0)
            throw Invalid("The model has no layer to compare features at.");
        if (options.RandomDraws is < 0 or > 1000)
            throw Invalid($"The random draws (random) must be 0 to 1000, not {options.RandomDraws}.");
        if (options.FillRgb is { } fill && (fill.Count is not (1 or 3) || fill.Any(v => v is < 0 or > 255)))
            throw Invalid($"The fill colour must be one value or R,G,B, each 0–255, not {string.Join(",", fill)}.");
        if (options.BatchSize < 1)
            throw Invalid($"The batch size must be at least 1, not {options.BatchSize}.");
        return options with { Layers = layers };
    }

    /// <summary>The paper's layers 5 and 7 here: the upper layers of <see cref="Invariance.InvarianceSweeps.DefaultLayers"/>
    /// (the last with spatial maps, and the classifier's hidden layer when there is one).</summary>
    public static IReadOnlyList<string> DefaultLayers(ModelSession model)
    {
        var layers = Invariance.InvarianceSweeps.DefaultLayers(model);
        return layers.Count > 1 ? [.. layers.Skip(1)] : layers;
    }

    /// <summary>Δ over a set of sign vectors (one per image): see <see cref="Consistency"/>.</summary>
    public static Consistency Delta(IReadOnlyList<Tensor> signs)
    {
        ArgumentNullException.ThrowIfNull(signs);
        var pairs = new List<double>();
        double sum = 0;
        for (int i = 0; i < signs.Count; i++)
            for (int j = i + 1; j < signs.Count; j++)
            {
                using var differing = signs[i].ne(signs[j]).sum();
                long count = differing.item<long>();
                sum += 2.0 * count; // ordered pairs (i, j) and (j, i)
                pairs.Add((double)count / signs[i].shape[0]);
            }
        if (pairs.Count == 0) return new Consistency(0, 0, 0);
        double mean = pairs.Average();
        double std = pairs.Count < 2 ? 0 : Math.Sqrt(pairs.Sum(v => (v - mean) * (v - mean)) / (pairs.Count - 1));
        return new Consistency(sum, mean, std);
    }

    /// <exception cref="UnitScopeException">InvalidArgument: the box is empty or not inside the image.</exception>
    static void CheckBox(PartImage image, string part, Box box)
    {
        if (string.IsNullOrWhiteSpace(part))
            throw Invalid($"Image {image.Name}: a box has no part name.");
        if (box.Width < 1 || box.Height < 1)
            throw Invalid($"Image {image.Name}: the box of '{part}' {box} is empty; boxes are [x, y, width, height] with a width and height of at least 1 pixel.");
        if (box.X < 0 || box.Y < 0 || (long)box.X + box.Width > image.Image.Width || (long)box.Y + box.Height > image.Image.Height)
            throw Invalid($"Image {image.Name}: the box of '{part}' {box} is outside the {image.Image.Width}x{image.Image.Height} image; " +
                "boxes are [x, y, width, height] in the image file's pixels and must lie inside it.");
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);

    /// <summary>Every part named by some image, in order of first appearance.</summary>
    static List<string> PartNames(IReadOnlyList<PartImage> images) => [.. images.SelectMany(i => i.Parts.Keys).Distinct(StringComparer.Ordinal)];

    /// <summary>A box of <paramref name="like"/>'s size at a uniformly random position inside the image.</summary>
    static Box RandomBox(Random random, RgbImage image, Box like) =>
        like with { X = random.Next(0, image.Width - like.Width + 1), Y = random.Next(0, image.Height - like.Height + 1) };

    /// <summary>The fill's byte per image channel (the image's, 1 or 3): the normalisation mean's, or the given colour.</summary>
    static byte[] FillBytes(InputSpec spec, IReadOnlyList<int>? rgb)
    {
        if (rgb is not null)
            return rgb.Count == 1 ? [(byte)rgb[0], (byte)rgb[0], (byte)rgb[0]] : [(byte)rgb[0], (byte)rgb[1], (byte)rgb[2]];
        var mean = spec.Mean.Select(m => (byte)Math.Clamp(Math.Round(m * 255), 0, 255)).ToArray();
        return mean.Length == 3 ? mean : [mean[0], mean[0], mean[0]];
    }

    /// <summary>A copy of <paramref name="image"/> with <paramref name="box"/> painted in <paramref name="fill"/>.</summary>
    internal static RgbImage Occluded(RgbImage image, Box box, byte[] fill)
    {
        var pixels = (byte[])image.Pixels.Clone();
        int channels = image.Channels;
        byte gray = ImageTensor.Luma(fill[0], fill[1], fill[2]);
        for (int y = box.Y; y < box.Y + box.Height; y++)
            for (int x = box.X; x < box.X + box.Width; x++)
            {
                int at = (y * image.Width + x) * channels;
                if (channels == 1) pixels[at] = gray;
                else { pixels[at] = fill[0]; pixels[at + 1] = fill[1]; pixels[at + 2] = fill[2]; }
            }
        return image with { Pixels = pixels };
    }

    /// <summary>Runs <paramref name="images"/> (each sized for the model) in padded batches and hands each one's flattened
    /// feature vectors [1, D] per layer to <paramref name="take"/>, valid only during the call: it moves out what it keeps
    /// (<c>MoveToOuterDisposeScope</c>, into the caller's scope).</summary>
    static void Evaluate(ModelSession model, IReadOnlyList<RgbImage> images, int batchSize, ImageFolderOptions? sizing, IReadOnlyList<string> layers,
        Action<int, Tensor[]> take, ref int done, int total, IProgress<CorrespondenceProgress>? progress, CancellationToken ct)
    {
        for (int start = 0; start < images.Count; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, images.Count - start);
            var sized = Enumerable.Range(start, n).Select(k => model.SizeImage(images[k], sizing)).ToList();
            using var batch = ImageTensor.ToBatch(sized, model.Input);
            model.ForwardBatch(PaddedBatch.Of(batch), layers, pass =>
            {
                for (int k = 0; k < n; k++)
                    take(start + k, [.. layers.Select(l => pass.Activations[l][k..(k + 1)].reshape(1, -1))]);
                return 0;
            });
            done += n;
            progress?.Report(new CorrespondenceProgress(done, total));
        }
    }

    /// <summary>SHA-256 over every image's name, pixels (<see cref="Occlusion.Occluder.ImageHash"/>) and boxes.</summary>
    public static string SetHash(IReadOnlyList<PartImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var text = new StringBuilder();
        foreach (var image in images)
        {
            text.Append(image.Name.Length).Append(':').Append(image.Name).Append('\n').Append(Occlusion.Occluder.ImageHash(image.Image)).Append('\n');
            foreach (var (part, box) in image.Parts.OrderBy(p => p.Key, StringComparer.Ordinal))
                text.Append(part.Length).Append(':').Append(part).Append(' ').Append(box).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
