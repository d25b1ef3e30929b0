using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Bench;

/// <summary>
/// A model's activations captured once and handed out again without running it: dissecting from these
/// times what dissection adds to the forward passes (counting, spills, the threshold search, the IoU
/// pass), apart from the forward passes themselves.
/// </summary>
sealed class ReplayedActivations : IActivationSource
{
    readonly Dictionary<string, (long[] Shape, List<float[]> Images)> _layers = [];

    public ReplayedActivations(ModelSession model, ISegmentationDataset data, IReadOnlyList<string> layers, int batchSize)
    {
        Identity = model.CheckpointHash;
        var source = new ModelActivationSource(model);
        foreach (var layer in layers) _layers[layer] = ([], []);
        for (int start = 0; start < data.Count; start += batchSize)
        {
            var samples = Enumerable.Range(start, Math.Min(batchSize, data.Count - start)).Select(data.Load).ToList();
            foreach (var (layer, tensor) in source.Forward(samples, layers))
            {
                using (tensor)
                {
                    var images = _layers[layer].Images;
                    for (int n = 0; n < samples.Count; n++)
                        images.Add(tensor[n].contiguous().data<float>().ToArray());
                    _layers[layer] = ([.. tensor.shape.Skip(1)], images);
                }
            }
        }
    }

    public string Identity { get; }
    public Device Device => CPU;
    public void CheckLayers(IReadOnlyList<string> layers) { }

    public IReadOnlyDictionary<string, Tensor> Forward(IReadOnlyList<ProbeSample> batch, IReadOnlyList<string> layers) =>
        layers.ToDictionary(l => l, l =>
        {
            var (shape, images) = _layers[l];
            var values = batch.SelectMany(s => images[s.Index]).ToArray();
            return tensor(values, [batch.Count, .. shape]);
        });
}
