namespace UnitScope.Server.Analysis;

/// <summary>A progress line for the client: its text, the overall percentage and the stage it belongs to.</summary>
internal sealed record ProgressLine(string Message, int Percentage, string Stage);

/// <summary>
/// Turns an analysis's progress reports into progress lines (text, a percentage that never goes back,
/// a stage). One per run: not thread-safe, the engine reports from one thread at a time.
/// </summary>
internal interface IProgressLines<in TProgress>
{
    ProgressLine Update(TProgress progress);
}
