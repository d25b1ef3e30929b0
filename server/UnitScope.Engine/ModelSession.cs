using UnitScope.Engine.Analysis;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers;

namespace UnitScope.Engine;

/// <summary>
/// A checkpoint loaded into a model on a device: the Engine's entry point for everything that
/// runs a model. Methods are safe to call from several threads (one forward pass at a time).
/// </summary>
public sealed partial class ModelSession : IDisposable
{
    /// <exception cref="UnitScopeException">missing/corrupt/unsafe file, unknown or mismatched architecture, bad options.</exception>
    public static ModelSession Load(string checkpointPath, ModelOptions? options = null) => throw new NotImplementedException();

    public string CheckpointPath { get; private init; } = "";
    /// <summary>SHA-256 of the checkpoint file's bytes, lowercase hex: the model's identity in caches.</summary>
    public string CheckpointHash { get; private init; } = "";
    public string Architecture { get; private init; } = "";
    public InputSpec Input { get; private init; } = null!;
    public int ClassCount { get; private init; }
    public IReadOnlyList<string> ClassNames { get; private init; } = [];
    /// <summary>"cpu", "cuda:0", …</summary>
    public string DeviceName { get; private init; } = "";
    public IReadOnlyList<LayerInfo> Layers { get; private init; } = [];

    /// <exception cref="UnitScopeException">Kind UnknownLayer, with close names in the message.</exception>
    public LayerInfo GetLayer(string name) => throw new NotImplementedException();

    public Prediction Predict(RgbImage image, int top = 5) => throw new NotImplementedException();

    /// <exception cref="UnitScopeException">UnknownLayer, UnitOutOfRange.</exception>
    public UnitMap ComputeUnitMap(RgbImage image, string layer, int unit) => throw new NotImplementedException();

    public void Dispose() { }
}
