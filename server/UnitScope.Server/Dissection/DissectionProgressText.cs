using System.Globalization;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Server.Analysis;

namespace UnitScope.Server.Dissection;

/// <summary>
/// Turns the engine's dissection progress into LSP progress messages such as
/// "conv3: IoU pass, 640/2000 images" with an overall percentage that never decreases. Building the
/// probe set, when this run builds it (its first report is the dataset's), takes the first 10%; a probe
/// set already built takes nothing, so the bar does not start at 10%. The rest is shared by the engine's
/// phases in proportion to what they cost at full width (bench/README.md, `bench/dissect --overhead`:
/// ResNet-18's layer4 on 2 cores, the forward passes 45.3 s of CPU, the exact-threshold search and the
/// IoU pass together 7.7 s of wall and under 3 s of CPU, i.e. 3–6% of the threshold pass): the threshold
/// pass, which runs the model for all layers at once, then per layer the exact-threshold search and the
/// IoU pass over its spilled activations (the engine names the layer it is on), each layer
/// <see cref="LayerCost"/> of the threshold pass. Before, the threshold pass had 80% whatever the number
/// of layers, and the dataset 10% even when nothing was built: the bar stood at 82% at 97% of the time.
/// </summary>
internal sealed class DissectionProgressText(IReadOnlyList<string> layers) : IProgressLines<DissectionProgress>
{
    public const int DatasetShare = 10;

    /// <summary>What one layer's exact-threshold search and IoU pass cost, as a fraction of the threshold pass.</summary>
    public const double LayerCost = 0.05;

    /// <summary>The threshold pass's share of the bar after the dataset: the forward passes, against every layer's own work.</summary>
    private readonly double _thresholdPassShare = 1 / (1 + LayerCost * Math.Max(1, layers.Count));

    /// <summary>Of each layer's share, what the threshold search takes (it usually makes two passes over the spill).</summary>
    public const double SearchShare = 0.5;

    /// <summary>Passes over the spill the search is expected to make: its share is spread over them.</summary>
    public const int ExpectedRounds = 2;

    private readonly List<string> _pending = [.. layers];
    private readonly List<string> _layerOrder = [];
    private int _percentage;
    /// <summary>The dataset's share of the bar: decided by the first report (the dataset's only when this run builds it).</summary>
    private int? _datasetShare;

    public ProgressLine Update(DissectionProgress p)
    {
        _datasetShare ??= p.Phase == AnalysisPhase.Dataset ? DatasetShare : 0;
        if (p.CompletedLayer is { } done) _pending.Remove(done.Layer);

        var count = p.ImagesTotal > 0
            ? $"{p.ImagesDone.ToString(CultureInfo.InvariantCulture)}/{p.ImagesTotal.ToString(CultureInfo.InvariantCulture)} images"
            : "";
        var within = p.ImagesTotal > 0 ? Math.Clamp((double)p.ImagesDone / p.ImagesTotal, 0, 1) : 0;
        var layerShare = (1 - _thresholdPassShare) / layers.Count;
        var phase = AnalysisProgressText.PhaseText(p.Phase);

        int percentage;
        string message;
        string stage;
        switch (p.Phase)
        {
            case AnalysisPhase.Dataset:
                percentage = (int)(within * _datasetShare.Value);
                message = Join(phase, count);
                stage = "dataset";
                break;
            case AnalysisPhase.Cached:
                percentage = _percentage;
                message = $"{p.CompletedLayer?.Layer ?? Label()}: {phase}";
                stage = $"cached {p.CompletedLayer?.Layer}";
                break;
            case AnalysisPhase.Quantiles or AnalysisPhase.Iou when p.Layer is { } layer:
                var index = LayerIndex(layer);
                var start = _thresholdPassShare + index * layerShare;
                var rounds = Math.Clamp((p.Round - 1 + within) / ExpectedRounds, 0, 1);
                percentage = Overall(p.Phase == AnalysisPhase.Quantiles
                    ? start + rounds * layerShare * SearchShare
                    : start + layerShare * (SearchShare + within * (1 - SearchShare)));
                var what = p.Phase == AnalysisPhase.Quantiles ? $"{phase}, round {p.Round}" : phase;
                message = $"{layer}: {Join(what, count)}" +
                          (layers.Count > 1 ? $" (layer {Math.Min(index + 1, layers.Count)} of {layers.Count})" : "");
                stage = $"{AnalysisProgressText.Stage(p.Phase)} {layer}";
                break;
            case AnalysisPhase.Iou:
                percentage = Overall(_thresholdPassShare + within * (1 - _thresholdPassShare));
                message = $"{Label()}: {Join(phase, count)}";
                stage = $"iou {string.Join(',', _pending)}";
                break;
            default:
                percentage = Overall(within * _thresholdPassShare);
                message = $"{Label()}: {Join(phase, count)}";
                stage = AnalysisProgressText.Stage(p.Phase);
                break;
        }
        _percentage = Math.Max(_percentage, Math.Min(percentage, 100));
        // A pass's last report ("40/40 images") is its own stage, so it is always sent: with a layer's small share of
        // the bar it often adds no percent, and the frame drops such reports when they come fast.
        if (p.ImagesTotal > 0 && p.ImagesDone >= p.ImagesTotal) stage += " done";
        return new ProgressLine(message, _percentage, stage);
    }

    private int LayerIndex(string layer)
    {
        if (!_layerOrder.Contains(layer)) _layerOrder.Add(layer);
        return _layerOrder.IndexOf(layer);
    }

    private int Overall(double fraction) => _datasetShare!.Value + (int)(Math.Clamp(fraction, 0, 1) * (100 - _datasetShare.Value));

    private static string Join(string what, string count) => count.Length == 0 ? what : $"{what}, {count}";

    /// <summary>The layers still being worked on: "conv3", "conv3, conv4", "conv3, conv4 +2 more".</summary>
    private string Label() => _pending.Count switch
    {
        0 => layers.Count == 1 ? layers[0] : $"{layers.Count} layers",
        1 => _pending[0],
        2 or 3 => string.Join(", ", _pending),
        _ => $"{_pending[0]}, {_pending[1]} +{_pending.Count - 2} more",
    };
}
