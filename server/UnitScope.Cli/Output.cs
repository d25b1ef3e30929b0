using System.Globalization;
using UnitScope.Engine;

namespace UnitScope.Cli;

/// <summary>Small formatting helpers shared by the commands.</summary>
static class Output
{
    public static string Shape(IEnumerable<int> shape) => string.Join("×", shape);

    public static object Input(InputSpec spec) => new
    {
        channels = spec.Channels,
        height = spec.Height,
        width = spec.Width,
        mean = spec.Mean,
        std = spec.Std,
    };

    public static string Number(float v) => v.ToString("G6", CultureInfo.InvariantCulture);

    public static string Percent(float p) => (p * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";
}
