using System.Globalization;
using UnitScope.Server.Analysis;

namespace UnitScope.Server.Evolution;

/// <summary>
/// A run's progress lines: "checkpoint 3 of 7: 40/64 images" while its checkpoints are summarised (90% of the bar,
/// shared equally), "building the probe set: 10/120 images" before (10%). The percentage never goes back.
/// </summary>
internal sealed class RunProgressText : IProgressLines<RunProgress>
{
    private const int DatasetShare = 10;
    private int _percentage;

    public ProgressLine Update(RunProgress p)
    {
        double images = p.ImagesTotal > 0 ? Math.Clamp((double)p.ImagesDone / p.ImagesTotal, 0, 1) : 0;
        string count = $"{p.ImagesDone.ToString(CultureInfo.InvariantCulture)}/{p.ImagesTotal.ToString(CultureInfo.InvariantCulture)} images";
        if (p.Checkpoint == 0)
        {
            _percentage = Math.Max(_percentage, (int)(images * DatasetShare));
            return new ProgressLine($"{AnalysisProgressText.PhaseText(Engine.Analysis.AnalysisPhase.Dataset)}: {count}", _percentage, "dataset");
        }
        double done = p.Checkpoints > 0 ? Math.Clamp((p.Checkpoint - 1 + images) / p.Checkpoints, 0, 1) : 0;
        _percentage = Math.Max(_percentage, Math.Min(100, DatasetShare + (int)(done * (100 - DatasetShare))));
        return new ProgressLine($"checkpoint {p.Checkpoint.ToString(CultureInfo.InvariantCulture)} of {p.Checkpoints.ToString(CultureInfo.InvariantCulture)}: {count}",
            _percentage, "checkpoints");
    }
}
