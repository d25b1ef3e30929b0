using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers;
using UnitScope.Rendering.Charts;

namespace UnitScope.Server.Models;

/// <summary>
/// What the daemon needs of a loaded model: <see cref="ModelSession"/>'s surface, behind an
/// interface so handler tests can run without TorchSharp.
/// </summary>
internal interface IModel : IDisposable
{
    string CheckpointPath { get; }
    string CheckpointHash { get; }
    string Architecture { get; }
    InputSpec Input { get; }
    int ClassCount { get; }
    string DeviceName { get; }
    IReadOnlyList<LayerInfo> Layers { get; }
    /// <summary>The name of each class, by index; null when the model does not say.</summary>
    IReadOnlyList<string>? ClassNames => null;
    /// <summary>An image generator (<see cref="ModelSession.IsGenerator"/>): its input is a latent vector.</summary>
    bool IsGenerator => false;
    /// <summary>
    /// A decoded image as the model is to see it: resized and centre-cropped as its description file says
    /// (<see cref="ModelSession.SizeImage"/>); the image itself when it says nothing (and in fakes). The handlers of
    /// single-image requests give this image to <see cref="Predict"/>, <see cref="ComputeUnitMap"/> and occlusion,
    /// and draw their pictures over it.
    /// </summary>
    RgbImage SizeImage(RgbImage image) => image;
    /// <summary>The size its single-image analyses resize an image to, for decoding a large one smaller (<see cref="ModelSession.DecodeHint"/>); null: decode whole.</summary>
    ImageDecodeHint? DecodeHint => null;
    /// <summary>How a single image becomes this model's input (<see cref="SizeImage"/>, then the resize to the input size
    /// and normalisation), in words with warnings; null in fakes.</summary>
    InputPreprocessing? ImagePreprocessing => null;
    Prediction Predict(RgbImage image, int top);
    UnitMap ComputeUnitMap(RgbImage image, string layer, int unit);
    /// <summary>Works out every layer's receptive field (<see cref="ModelSession.ReceptiveFields"/>: a few passes); nothing in fakes.</summary>
    void ComputeReceptiveFields() { }
    /// <summary>A layer's receptive field in words ("35×35, stride 8, start -16") once computed, else null (never waits).</summary>
    string? KnownReceptiveField(string layer) => null;
    /// <summary>The filters of the model's first convolution as a PNG grid (base64) when <paramref name="layer"/> is that
    /// convolution and its filters are pictures (1 or 3 channels), else null; drawn once per model.</summary>
    string? FirstLayerFiltersPng(string layer) => null;
}

/// <summary>A model backed by a real <see cref="ModelSession"/> (what engine analyses such as dissection take).</summary>
internal interface ISessionModel
{
    ModelSession Session { get; }
}

internal interface IModelLoader
{
    /// <exception cref="UnitScopeException">the engine's errors, as they are.</exception>
    /// <exception cref="OperationCanceledException">Reading the files stopped once <paramref name="ct"/> was cancelled.</exception>
    IModel Load(string checkpointPath, ModelOptions options, CancellationToken ct = default);
}

/// <summary>The real thing: <see cref="ModelSession"/>.</summary>
internal sealed class EngineModelLoader : IModelLoader
{
    public IModel Load(string checkpointPath, ModelOptions options, CancellationToken ct = default) =>
        new EngineModel(ModelSession.Load(checkpointPath, options, ct));

    private sealed class EngineModel(ModelSession session) : IModel, ISessionModel
    {
        public ModelSession Session => session;
        public string CheckpointPath => session.CheckpointPath;
        public string CheckpointHash => session.CheckpointHash;
        public string Architecture => session.Architecture;
        public InputSpec Input => session.Input;
        public int ClassCount => session.ClassCount;
        public string DeviceName => session.DeviceName;
        public IReadOnlyList<LayerInfo> Layers => session.Layers;
        public IReadOnlyList<string>? ClassNames => session.ClassNames;
        public bool IsGenerator => session.IsGenerator;
        public RgbImage SizeImage(RgbImage image) => session.SizeImage(image);
        public ImageDecodeHint? DecodeHint => session.DecodeHint();
        public InputPreprocessing ImagePreprocessing => session.Preprocessing(session.ImageSizing());
        public Prediction Predict(RgbImage image, int top) => session.Predict(image, top);
        public UnitMap ComputeUnitMap(RgbImage image, string layer, int unit) => session.ComputeUnitMap(image, layer, unit);
        // A generator's input is a latent vector: its layers have no receptive field in pixels, and measuring one
        // (passes on ever larger inputs, under the model's lock) would hold up its analyses.
        public void ComputeReceptiveFields()
        {
            if (!session.IsGenerator) _ = session.ReceptiveFields;
        }
        public string? KnownReceptiveField(string layer) =>
            session.ReceptiveFieldsIfKnown?.FirstOrDefault(f => f.Layer == layer)?.Field?.ToString();
        public string? FirstLayerFiltersPng(string layer) => _filters.Value is { } f && f.Layer == layer ? f.Png : null;

        readonly Lazy<(string Layer, string Png)?> _filters = new(() => DrawFirstLayerFilters(session));

        static (string Layer, string Png)? DrawFirstLayerFilters(ModelSession session)
        {
            try
            {
                var filters = LayerFilters.Read(session);
                return (filters.Layer, Convert.ToBase64String(FilterGrid.RenderPng(filters)));
            }
            catch (UnitScopeException)
            {
                return null; // no convolution, or its filters are not pictures
            }
        }
        public void Dispose() => session.Dispose();
    }
}
