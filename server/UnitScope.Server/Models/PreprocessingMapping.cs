using UnitScope.Engine;
using UnitScope.Engine.Imaging;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Models;

/// <summary>The Engine's <see cref="InputPreprocessing"/> as the protocol carries it.</summary>
internal static class PreprocessingMapping
{
    public static P.PreprocessingInfo? ToProtocol(InputPreprocessing? p) => p is null ? null : new(
        p.Summary, p.Mean, p.Std, InputPreprocessing.Name(p.MeanSource), InputPreprocessing.Name(p.StdSource), p.Resampling.Name(), [.. p.Warnings]);
}
