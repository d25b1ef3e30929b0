namespace UnitScope.Engine.Demo;

/// <summary>
/// How the demo model is trained. Part of its cache key: change one and it is trained anew.
/// The defaults reach about 98% validation accuracy on the default probe set's six scenes in
/// about a minute on two CPU cores (a learning rate of 0.05 diverges after the first epoch).
/// </summary>
public sealed record DemoTrainingOptions
{
    public int Seed { get; init; } = 1;
    public int Epochs { get; init; } = 6;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 0.01;
    /// <summary>VGG-11's published widths (64 … 512) divided by this.</summary>
    public int WidthDivisor { get; init; } = 8;
    public int Hidden { get; init; } = 128;
    /// <summary>Fraction of the probe set held out to measure accuracy.</summary>
    public double ValidationFraction { get; init; } = 0.1;
}

/// <summary>Training progress: per batch (Loss of the batch) and per epoch (ValidationAccuracy set).</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int ImagesDone, int ImagesPerEpoch, double Loss, double? ValidationAccuracy = null);
