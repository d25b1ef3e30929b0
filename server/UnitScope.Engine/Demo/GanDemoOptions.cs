namespace UnitScope.Engine.Demo;

/// <summary>
/// The probe scenes the GAN demo learns from: <see cref="Images"/> scenes drawn at <see cref="ImageSize"/> pixels
/// (a DCGAN side: 4·2^k) by the probe set's generator with <see cref="Seed"/>; the last <see cref="HeldOutFraction"/>
/// are held back from both trainings, to measure the segmenter.
/// </summary>
public sealed record GanDemoScenes
{
    public int Images { get; init; } = 1500;
    public int ImageSize { get; init; } = 32;
    public int Seed { get; init; } = 1;
    public double HeldOutFraction { get; init; } = 0.1;
}

/// <summary>How the demo segmenter is trained. Part of its cache key.</summary>
public sealed record SegmenterTrainingOptions
{
    public int Seed { get; init; } = 1;
    /// <summary>16: channel counts (16, 32, 64, and 112 into the head) oneDNN computes right on these CPUs (12 and 24 give NaN).</summary>
    public int Width { get; init; } = 16;
    public int Epochs { get; init; } = 6;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 3e-3;
}

/// <summary>How the demo generator (the decoder of a VAE with DCGAN's generator as decoder) is trained. Part of its cache key.</summary>
public sealed record GeneratorTrainingOptions
{
    public int Seed { get; init; } = 1;
    public int LatentSize { get; init; } = 32;
    /// <summary>The last hidden block's channels; each earlier block has twice as many.</summary>
    public int Width { get; init; } = 16;
    public int Epochs { get; init; } = 12;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>Weight of the KL term (β-VAE's β).</summary>
    public double KlWeight { get; init; } = 1;
}
