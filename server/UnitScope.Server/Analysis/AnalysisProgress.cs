using UnitScope.Engine.Analysis;

namespace UnitScope.Server.Analysis;

/// <summary>
/// A step of an analysis: <paramref name="Done"/> of <paramref name="Total"/> in <paramref name="Phase"/>
/// (images, square positions or evaluations of an image under a set of zeroed units: see <see cref="AnalysisPhase"/>).
/// </summary>
internal sealed record AnalysisProgress(AnalysisPhase Phase, long Done, long Total);
