using System.Globalization;

namespace UnitScope.Engine.Imaging;

/// <summary>
/// Means and stds are on the 0..1 scale of torchvision's <c>ToTensor()</c> (pixels ÷ 255): a mean is an average
/// pixel value in [0, 1], a std at most 1. Values copied from code that normalises 0–255 pixels (CIFAR's
/// <c>125.3, 123.0, 113.9</c>) would otherwise be accepted and give the model inputs hundreds of times off.
/// </summary>
public static class NormalisationScale
{
    /// <summary>Null when <paramref name="values"/> fit the 0..1 scale; else why not, ending in what to give instead
    /// ("… divide by 255: 0.4914,0.4824,0.4467"), for a message that starts with the option's name and value.</summary>
    public static string? Problem(IReadOnlyList<float> values, bool isStd)
    {
        ArgumentNullException.ThrowIfNull(values);
        string what = isStd ? "std" : "mean";
        if (values.Any(v => v > 1))
            return $"is on the 0–255 scale; UnitScope takes the {what} on the 0..1 scale of torchvision's ToTensor(), " +
                   $"so divide by 255: {Shown(values.Select(v => v / 255f))}";
        if (!isStd && values.Any(v => v < 0))
            return "has a negative value: a mean is an average pixel value, between 0 and 1 (torchvision's ToTensor() scale)";
        return null;
    }

    /// <summary>"0.4914,0.4824,0.4467": four decimals, comma-separated, as --mean takes them.</summary>
    public static string Shown(IEnumerable<float> values) =>
        string.Join(",", values.Select(v => Math.Round(v, 4).ToString(CultureInfo.InvariantCulture)));
}
