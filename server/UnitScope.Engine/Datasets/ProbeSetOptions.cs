namespace UnitScope.Engine.Datasets;

/// <summary>What <see cref="ProbeSetGenerator"/> makes: <see cref="Count"/> square images of
/// <see cref="ImageSize"/> pixels with masks of <see cref="MaskSize"/> pixels (default: the image's size),
/// all determined by <see cref="Seed"/>.</summary>
public sealed record ProbeSetOptions
{
    public int Count { get; init; } = 2000;
    public int ImageSize { get; init; } = 112;

    /// <summary>Mask side in pixels; null: <see cref="ImageSize"/>. Masks label what is visible at their own
    /// pixels' centres, so a mask at another size is still exact, at its resolution.</summary>
    public int? MaskSize { get; init; }

    public int Seed { get; init; } = 1;

    public int EffectiveMaskSize => MaskSize ?? ImageSize;

    public const int MaxCount = 1_000_000;
    public const int MinSide = 16, MaxSide = 1024;

    /// <exception cref="UnitScopeException">InvalidArgument naming the option.</exception>
    public void Validate()
    {
        if (Count is < 1 or > MaxCount)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"A probe set needs 1 to {MaxCount} images, not {Count}.");
        if (ImageSize is < MinSide or > MaxSide)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The probe image size must be {MinSide} to {MaxSide} pixels, not {ImageSize}.");
        if (MaskSize is { } m && (m < 8 || m > MaxSide))
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The probe mask size must be 8 to {MaxSide} pixels, not {m}.");
    }
}
