namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// What a checkpoint declares before any weight is read: its tensors' names (DataParallel's <c>module.</c>
/// already stripped) and shapes, and its scalar entries as text. <see cref="CheckpointReader.Read"/> shows it to
/// its caller first, so a checkpoint that cannot fit the model is refused before gigabytes are read or inflated.
/// </summary>
public sealed record CheckpointOutline(string Format, IReadOnlyDictionary<string, long[]> Shapes, IReadOnlyDictionary<string, string> Metadata);
