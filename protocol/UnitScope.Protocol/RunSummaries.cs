namespace UnitScope.Protocol;

// Background summaries of a followed training run (issue 15): each checkpoint that lands is summarised at low priority.

/// <summary>
/// <c>unitscope/followRun</c>: the summaries of a run's checkpoints that are already stored (found by content hash: no
/// model runs, so reopening shows them at once), and every other checkpoint queued to be summarised in the background:
/// at low priority (an interactive request such as a hover or a unit map always goes first; the summary hands the device
/// over between its batches), one file at a time, each only once it is completely written (size unchanged for a moment
/// and its structure whole). Each summary, when done, comes as a <c>unitscope/checkpointSummarized</c> notification and
/// is stored under the same key <c>unitscope/evolve</c> uses. Call it again whenever the run's folder changes: what is
/// stored or queued is not done twice.
/// </summary>
/// <param name="ModelId">A loaded model of the run's architecture (usually its newest checkpoint): the reference.</param>
/// <param name="Run">The run's folder (or a folder and a name pattern).</param>
/// <param name="Layers">The layers to follow (at least one).</param>
/// <param name="Dataset">As <see cref="EvolveParams"/>: "probe" by default.</param>
/// <param name="MaxImages">As <see cref="EvolveParams"/> (default 64).</param>
/// <param name="BatchSize">As <see cref="EvolveParams"/> (default 16).</param>
public sealed record FollowRunParams(
    string ModelId,
    string Run,
    IReadOnlyList<string> Layers,
    string? Dataset = null,
    int? MaxImages = null,
    int? BatchSize = null);

/// <summary>What is known of a followed run now.</summary>
/// <param name="Run">The run as the request named it, made absolute.</param>
/// <param name="CheckpointCount">Distinct checkpoints of the run now.</param>
/// <param name="Checkpoints">The stored summaries, in training order (<c>cached</c> true).</param>
/// <param name="Pending">Files queued for a background summary (each announced by a notification when done).</param>
public sealed record FollowRunResult(
    string Run,
    string Dataset,
    int Images,
    IReadOnlyList<string> Layers,
    int CheckpointCount,
    IReadOnlyList<CheckpointSummary> Checkpoints,
    IReadOnlyList<string> Pending);

/// <summary>Daemon → client: a followed run's checkpoint was summarised in the background.</summary>
/// <param name="Run">The run as <c>unitscope/followRun</c> returned it.</param>
/// <param name="Layers">The layers it follows.</param>
public sealed record CheckpointSummarizedParams(string Run, IReadOnlyList<string> Layers, CheckpointSummary Checkpoint);
