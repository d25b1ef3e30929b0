using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers.ReceptiveFields;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>
/// Takes a unit's strongest activations back to the pixels (Zeiler &amp; Fergus figure 2's right-hand images), for the
/// winners only, all in one batch: the deconvnet where the layer is reached by a chain of modules it can run backwards
/// (<see cref="DeconvChain"/>), else guided backpropagation where the model has ReLUs, else the plain gradient; each
/// projection is cut to the activation's receptive field.
/// </summary>
public static class Projector
{
    /// <summary>The method for <paramref name="layer"/>: <paramref name="requested"/>, or the best that applies.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument when the deconvnet is asked for a layer it cannot
    /// reach (saying why), or guided backpropagation for a model without ReLUs.</exception>
    public static ProjectionChoice Choose(ModelSession model, string layer, ProjectionMethod? requested = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.GetLayer(layer);
        var (chain, why) = DeconvChain.Find(model.Trace, layer);
        bool relus = ReluLayers(model).Count > 0;
        switch (requested)
        {
            case ProjectionMethod.Deconvnet when chain is null:
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"The deconvnet (--method deconvnet) cannot reach layer '{layer}': {why}. Use guided backpropagation (--method guided) or the gradient.");
            case ProjectionMethod.GuidedBackprop when !relus:
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    "Guided backpropagation (--method guided) needs ReLU layers, and this model has none as modules; use the gradient (--method gradient).");
            case ProjectionMethod.Deconvnet:
                return new(ProjectionMethod.Deconvnet, $"Deconvnet, as asked: {why}.");
            case ProjectionMethod.GuidedBackprop:
                return new(ProjectionMethod.GuidedBackprop, "Guided backpropagation, as asked.");
            case ProjectionMethod.Gradient:
                return new(ProjectionMethod.Gradient, "The plain gradient, as asked.");
        }
        if (chain is not null)
            return new(ProjectionMethod.Deconvnet, $"Deconvnet (Zeiler & Fergus): {why}, each of which it can run backwards.");
        return relus
            ? new(ProjectionMethod.GuidedBackprop, $"Guided backpropagation: the deconvnet needs a chain of modules, and here {why}.")
            : new(ProjectionMethod.Gradient, $"The gradient: the deconvnet needs a chain of modules ({why}), and guided backpropagation ReLU modules, which this model has none of.");
    }

    /// <summary>Projects <paramref name="winners"/> (activations of <paramref name="unit"/> of <paramref name="layer"/> on images of <paramref name="images"/>).</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, UnitOutOfRange, InvalidArgument (a layer that is not spatial, a
    /// position outside its map, a method that does not apply); the set's errors.</exception>
    public static UnitProjections Project(ModelSession model, IImageSet images, string layer, int unit,
        IReadOnlyList<TopActivation> winners, ProjectionMethod? method = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(winners);
        var info = RequireUnit(model, layer, unit);
        foreach (var w in winners)
            if (w.Y < 0 || w.X < 0 || w.Y >= info.OutputShape[1] || w.X >= info.OutputShape[2] || w.Image < 0 || w.Image >= images.Count)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"Activation at ({w.Y}, {w.X}) of image {w.Image} is outside layer '{layer}''s {info.OutputShape[1]}x{info.OutputShape[2]} map or the set's {images.Count} images.");
        var choice = Choose(model, layer, method);
        var field = model.ReceptiveFieldOf(layer).Field;
        var spec = model.Input;
        if (winners.Count == 0)
            return new UnitProjections(layer, unit, choice.Method, choice.Reason, spec.Height, spec.Width, field, []);
        ct.ThrowIfCancellationRequested();

        var loaded = new RgbImage[winners.Count];
        Parallel.For(0, winners.Count, ParallelWork.Options(), i => loaded[i] = images.Load(winners[i].Image));
        using var scope = NewDisposeScope();
        var batch = ImageTensor.ToBatch(loaded, spec);
        float[] projections = ProjectBatch(model, layer, unit, [.. winners.Select(w => (w.Y, w.X))], batch, choice.Method);

        int plane = spec.Height * spec.Width, c = spec.Channels;
        var items = winners.Select((w, n) =>
        {
            var box = (field?.BoxOf(w.Y, w.X) ?? new PixelBox(0, 0, spec.Height, spec.Width)).ClipTo(spec.Height, spec.Width);
            var values = new float[c * box.Height * box.Width];
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < box.Height; y++)
                    Array.Copy(projections, (long)n * c * plane + ch * plane + (box.Top + y) * spec.Width + box.Left,
                        values, (ch * box.Height + y) * box.Width, box.Width);
            return new UnitProjection(w, box, c, values);
        }).ToList();
        return new UnitProjections(layer, unit, choice.Method, choice.Reason, spec.Height, spec.Width, field, items);
    }

    /// <summary>The layer, when it is spatial and has unit <paramref name="unit"/>.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument (not spatial); UnitOutOfRange.</exception>
    public static Layers.LayerInfo RequireUnit(ModelSession model, string layer, int unit)
    {
        var info = TopActivations.RequireSpatial(model, layer);
        if (unit < 0 || unit >= info.Units)
            throw new UnitScopeException(EngineErrorKind.UnitOutOfRange,
                $"Unit {unit} is out of range: layer '{layer}' has {info.Units} units (0–{info.Units - 1}).");
        return info;
    }

    /// <summary>
    /// The projections of one activation per image of <paramref name="batch"/> (preprocessed, [N, C, H, W]): unit
    /// <paramref name="unit"/> of <paramref name="layer"/> at <paramref name="positions"/>[n] for image n, by
    /// <paramref name="method"/> (which must apply: see <see cref="Choose"/>); [N, C, H, W] row-major. The deconvnet
    /// seeds each activation with its own value (Zeiler &amp; Fergus pass the feature map on), the gradients with 1.
    /// </summary>
    public static float[] ProjectBatch(ModelSession model, string layer, int unit, IReadOnlyList<(int Y, int X)> positions,
        Tensor batch, ProjectionMethod method) => method == ProjectionMethod.Deconvnet
        ? Deconvolved(model, layer, unit, positions, batch)
        : Backpropagated(model, layer, unit, positions, batch, method == ProjectionMethod.GuidedBackprop);

    static float[] Deconvolved(ModelSession model, string layer, int unit, IReadOnlyList<(int Y, int X)> winners, Tensor batch)
    {
        var chain = DeconvChain.Find(model.Trace, layer).Chain
            ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The deconvnet cannot reach layer '{layer}'.");
        return model.Exclusive(module =>
        {
            var device = module.parameters().FirstOrDefault()?.device ?? CPU;
            var projected = Deconvnet.Project(chain, batch.to(device), [.. winners.Select(w => (unit, w.Y, w.X))]);
            return projected.cpu().contiguous().data<float>().ToArray();
        });
    }

    static float[] Backpropagated(ModelSession model, string layer, int unit, IReadOnlyList<(int Y, int X)> winners, Tensor batch, bool guided)
    {
        var edits = guided ? ReluLayers(model).Select(l => new OutputEdit(l, GuidedGate.Apply)).ToList() : null;
        var input = batch.detach().requires_grad_(true);
        return model.ForwardWithGradient(input, [layer], pass =>
        {
            var map = pass.Activations[layer];
            var objective = stack([.. winners.Select((w, n) => map[n, unit, w.Y, w.X])]).sum();
            var gradient = autograd.grad([objective], [input], allow_unused: true)[0];
            return gradient is null || gradient.IsInvalid
                ? new float[input.numel()]
                : gradient.cpu().contiguous().data<float>().ToArray();
        }, edits, stopAfter: layer);
    }

    /// <summary>The model's ReLU layers (TorchSharp's ReLU modules, ONNX's Relu taps).</summary>
    static IReadOnlyList<string> ReluLayers(ModelSession model) =>
        [.. model.Layers.Where(l => l.Kind is "ReLU" or "Relu").Select(l => l.Name)];
}
