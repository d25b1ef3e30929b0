using TorchSharp;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>
/// A generator's samples as dissection's probe set and activation source at once, so GAN dissection is network
/// dissection (<see cref="Dissector"/>: the same exact quantiles, IoU and summary) with the segmenter's labels of each
/// generated image as its masks. Sample i is the image of latent i (<see cref="GanSampling.Latents"/>). One generator
/// pass per batch gives both the image and the layer's maps: dissection loads a batch's samples and then asks for its
/// activations, so the batch loaded last is kept until its activations are taken.
/// </summary>
internal sealed class GeneratedScenes : ISegmentationDataset, IActivationSource, IDisposable
{
    readonly ModelSession _generator;
    readonly ISceneSegmenter _segmenter;
    readonly Tensor _latents;
    readonly int _batchSize;
    readonly IReadOnlyList<string> _layers;
    Batch? _current;

    sealed record Batch(int Start, ProbeSample[] Samples, Dictionary<string, Tensor> Activations);

    public GeneratedScenes(ModelSession generator, ISceneSegmenter segmenter, IReadOnlyList<string> layers, int count, int seed, int batchSize)
    {
        GanSampling.RequireGenerator(generator);
        _generator = generator;
        _segmenter = segmenter;
        _layers = layers;
        _batchSize = batchSize;
        _latents = GanSampling.Latents(generator.LatentSize, count, seed);
        Count = count;
        ContentHash = $"gan-samples:{segmenter.Identity}:{seed}:{count}";
        Device = torch.device(generator.DeviceName);
    }

    // ISegmentationDataset
    public string Root => $"{Count} samples of {Path.GetFileName(_generator.CheckpointPath)}";
    public string ContentHash { get; }
    public IReadOnlyList<string> Categories => _segmenter.Categories;
    public IReadOnlyList<Concept> Concepts => _segmenter.Concepts;
    public int MaxConceptId => _segmenter.Concepts.Count;
    public int Count { get; }

    public ProbeSample Load(int index)
    {
        if (_current is null || index < _current.Start || index >= _current.Start + _current.Samples.Length)
            Generate(index);
        return _current!.Samples[index - _current.Start];
    }

    // IActivationSource
    public string Identity => _generator.CheckpointHash;
    public Device Device { get; }

    public void CheckLayers(IReadOnlyList<string> layers) => new ModelActivationSource(_generator).CheckLayers(layers);

    public IReadOnlyDictionary<string, Tensor> Forward(IReadOnlyList<ProbeSample> batch, IReadOnlyList<string> layers)
    {
        int start = batch[0].Index;
        if (_current is null || _current.Start != start || _current.Samples.Length != batch.Count || !layers.All(_current.Activations.ContainsKey))
            Generate(start, batch.Count);
        var taken = _current!.Activations;
        _current = _current with { Activations = [] };
        return layers.ToDictionary(l => l, l => taken[l], StringComparer.Ordinal);
    }

    void Generate(int start, int? count = null)
    {
        Release();
        int n = Math.Min(count ?? _batchSize, Count - start);
        using var scope = NewDisposeScope();
        var z = _latents.narrow(0, start, n);
        var (images, activations) = _generator.ForwardBatch(z, _layers, pass => (
            GanSampling.ToUnitRange(pass.Output).MoveToOuterDisposeScope(),
            _layers.ToDictionary(l => l, l => pass.Activations[l].to(ScalarType.Float32).clone().MoveToOuterDisposeScope(), StringComparer.Ordinal)));
        var labels = _segmenter.Segment(images);
        int height = (int)images.shape[2], width = (int)images.shape[3];
        var samples = new ProbeSample[n];
        var maps = labels.ToDictionary(p => p.Key, p => p.Value.to(ScalarType.Int32).contiguous().data<int>().ToArray());
        foreach (var map in labels.Values) map.Dispose();
        for (int i = 0; i < n; i++)
        {
            int offset = i * height * width;
            samples[i] = new ProbeSample(start + i, $"sample {start + i}", GanSampling.ToImage(images, i), height, width,
                maps.ToDictionary(p => p.Key, p => (IReadOnlyList<int[]>)[p.Value[offset..(offset + height * width)]]),
                new Dictionary<string, IReadOnlyList<int>>());
        }
        foreach (var a in activations.Values) a.DetachFromDisposeScope();
        _current = new Batch(start, samples, activations);
    }

    void Release()
    {
        if (_current is null) return;
        foreach (var a in _current.Activations.Values) a.Dispose();
        _current = null;
    }

    public void Dispose()
    {
        Release();
        _latents.Dispose();
    }
}
