using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>
/// A convolution's filters as arrays of numbers (Zeiler and Fergus figure 6 shows the first layer's): [filter, channel,
/// row, column] in <see cref="Values"/>, as the model holds them.
/// </summary>
public sealed record FilterWeights(string Layer, int Filters, int Channels, int Height, int Width, float[] Values)
{
    public float At(int filter, int channel, int row, int column) =>
        Values[((filter * Channels + channel) * Height + row) * Width + column];
}

/// <summary>Reads a convolution's filters for drawing (<c>unitscope filters</c>, the first layer's hover).</summary>
public static class LayerFilters
{
    /// <summary>The first 2-D convolution in the model's order: the one whose filters are pictures of the input.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument when the model has none.</exception>
    public static string FirstConvolution(ModelSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.Layers.FirstOrDefault(IsConvolution)?.Name
            ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                "The model has no 2-D convolution whose filters could be drawn (layers: " +
                string.Join(", ", session.Layers.Take(8).Select(l => $"{l.Name} {l.Kind}")) + (session.Layers.Count > 8 ? ", …)." : ")."));
    }

    /// <summary>The filters of <paramref name="layer"/> (null: <see cref="FirstConvolution"/>) that see 1 or 3 channels:
    /// those are images; a deeper layer's filters weigh maps, which its gallery shows better.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument for a layer that is not a 2-D convolution, whose
    /// filters see other than 1 or 3 channels, or whose weight the model does not name.</exception>
    public static FilterWeights Read(ModelSession session, string? layer = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var name = string.IsNullOrWhiteSpace(layer) ? FirstConvolution(session) : layer.Trim();
        var info = session.GetLayer(name);
        if (!IsConvolution(info))
            throw Invalid($"Layer '{name}' is a {info.Kind}, not a 2-D convolution: only a convolution's filters can be drawn " +
                $"(the first one is '{FirstConvolution(session)}').");
        using var scope = NewDisposeScope();
        var weight = WeightOf(session, name);
        if (weight.dim() != 4)
            throw Invalid($"Layer '{name}' has a weight of shape [{string.Join(", ", weight.shape)}], not [filters, channels, height, width].");
        var (filters, channels, height, width) = ((int)weight.shape[0], (int)weight.shape[1], (int)weight.shape[2], (int)weight.shape[3]);
        if (channels is not (1 or 3))
            throw Invalid($"Layer '{name}' has filters over {channels} channels: only filters over 1 or 3 channels are images " +
                $"(the first convolution, '{FirstConvolution(session)}'); see a deeper unit in its gallery instead.");
        var values = weight.detach().to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
        return new FilterWeights(name, filters, channels, height, width, values);
    }

    static bool IsConvolution(Layers.LayerInfo layer) =>
        layer.Kind.Equals("Conv2d", StringComparison.OrdinalIgnoreCase) || layer.Kind.Equals("Conv", StringComparison.OrdinalIgnoreCase);

    /// <summary>A module's <c>weight</c> parameter; for an ONNX graph exported from PyTorch, the initializer of that name.</summary>
    static Tensor WeightOf(ModelSession session, string layer)
    {
        var wanted = layer + ".weight";
        foreach (var (name, parameter) in session.Module.named_parameters())
            if (name == wanted) return parameter;
        foreach (var (name, buffer) in session.Module.named_buffers())
            if (name == wanted) return buffer;
        throw Invalid($"The model holds no weight named '{wanted}' for layer '{layer}' (an ONNX graph whose initializers are " +
            "not named after its layers): its filters cannot be found.");
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);
}
