using UnitScope.Rendering.Colormaps;

namespace UnitScope.Rendering;

/// <summary>How a unit map is coloured and laid over its image.</summary>
public sealed record OverlayOptions
{
    public static OverlayOptions Default { get; } = new();

    /// <summary>Colours for the normalised map, low → high. Default: viridis.</summary>
    public Colormap Colormap { get; init; } = Colormap.Viridis;

    /// <summary>Weight of the map's colour over the image, 0 (image only) … 1 (map only). Default 0.5.</summary>
    public float Opacity { get; init; } = 0.5f;

    /// <summary>When true the weight at a pixel is <see cref="Opacity"/> × the normalised value, so
    /// where the unit is silent the image shows through untouched. Default false.</summary>
    public bool OpacityFollowsValue { get; init; }

    /// <summary>Fixed value range mapped to the colormap's ends (to compare maps on one scale);
    /// null → the map's own minimum and maximum.</summary>
    public float? RangeMin { get; init; }
    public float? RangeMax { get; init; }
}
