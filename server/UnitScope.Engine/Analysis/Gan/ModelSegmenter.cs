using TorchSharp;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>
/// A segmentation model as an <see cref="ISceneSegmenter"/>: any model UnitScope loads whose output is logits
/// [N, channels, h, w], with <see cref="SegmenterLabels"/> saying what its channels mean. Images are normalised with
/// the model's mean/std and resized (bilinear) to its input size when they differ; the logits are resized back to the
/// images' size before the argmax within each category's channels.
/// </summary>
public sealed class ModelSegmenter : ISceneSegmenter, IDisposable
{
    readonly ModelSession _model;
    readonly SegmenterLabels _labels;
    readonly Tensor _mean, _std;
    readonly Tensor[] _idsOf;
    readonly bool _ownsModel;

    /// <exception cref="UnitScopeException">InvalidArgument when the model's output does not match the labels.</exception>
    public ModelSegmenter(ModelSession model, SegmenterLabels labels, bool ownsModel = false)
    {
        if (model.IsGenerator || model.Input.Channels != 3)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"The segmenter {Path.GetFileName(model.CheckpointPath)} must take RGB images; it takes {(model.IsGenerator ? "latent vectors" : $"{model.Input.Channels}-channel images")}.");
        int outputs = model.ClassCount / (model.Input.Height * model.Input.Width);
        if (outputs * model.Input.Height * model.Input.Width != model.ClassCount || outputs != labels.Channels)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"The segmenter {Path.GetFileName(model.CheckpointPath)} gives {model.ClassCount} outputs per image, not {labels.Channels} " +
                $"channels × {model.Input.Height}×{model.Input.Width} pixels as its label file names.");
        _model = model;
        _ownsModel = ownsModel;
        _labels = labels;
        _mean = tensor(model.Input.Mean).view(1, 3, 1, 1).DetachFromDisposeScope();
        _std = tensor(model.Input.Std).view(1, 3, 1, 1).DetachFromDisposeScope();
        _idsOf = [.. labels.Groups.Select(g => tensor(new long[] { 0 }.Concat(g.ConceptIds.Select(i => (long)i)).ToArray()).DetachFromDisposeScope())];
    }

    /// <summary>A segmenter checkpoint with its <c>NAME.segments.txt</c>.</summary>
    public static ModelSegmenter Load(string checkpoint, string device = "auto")
    {
        var labels = SegmenterLabels.Read(SegmenterLabels.PathFor(checkpoint));
        var model = ModelSession.Load(checkpoint, new ModelOptions { Device = device });
        try
        {
            return new ModelSegmenter(model, labels, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public string Identity => _model.CheckpointHash;
    public IReadOnlyList<Concept> Concepts => _labels.Concepts;
    public IReadOnlyList<string> Categories => [.. _labels.Groups.Select(g => g.Category)];
    public ModelSession Model => _model;

    public IReadOnlyDictionary<string, Tensor> Segment(Tensor images)
    {
        long height = images.shape[2], width = images.shape[3];
        using var scope = NewDisposeScope();
        var x = images.to(ScalarType.Float32).cpu();
        if (height != _model.Input.Height || width != _model.Input.Width)
            x = nn.functional.interpolate(x, [_model.Input.Height, _model.Input.Width], mode: InterpolationMode.Bilinear, align_corners: false);
        x = x.sub(_mean).div(_std);
        return _model.ForwardBatch(x, [], pass =>
        {
            var logits = pass.Output.to(ScalarType.Float32).cpu().view(x.shape[0], _labels.Channels, _model.Input.Height, _model.Input.Width);
            if (height != _model.Input.Height || width != _model.Input.Width)
                logits = nn.functional.interpolate(logits, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
            var maps = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int g = 0; g < _labels.Groups.Count; g++)
            {
                var group = _labels.Groups[g];
                var index = logits.narrow(1, group.First, group.Channels).argmax(1);
                maps[group.Category] = _idsOf[g].index_select(0, index.flatten()).view(index.shape).MoveToOuterDisposeScope();
            }
            return maps;
        }).ToDictionary(p => p.Key, p => p.Value.MoveToOuterDisposeScope(), StringComparer.Ordinal);
    }

    public void Dispose()
    {
        _mean.Dispose();
        _std.Dispose();
        foreach (var ids in _idsOf) ids.Dispose();
        if (_ownsModel) _model.Dispose();
    }
}
