using static TorchSharp.torch;

namespace UnitScope.Engine.Demo;

/// <summary>Stops a demo training whose loss is no longer a number, instead of caching a model of NaN weights.</summary>
internal static class TrainingGuard
{
    /// <exception cref="UnitScopeException">InvalidArgument when <paramref name="loss"/> is NaN or infinite.</exception>
    public static void RequireFinite(Tensor loss, int epoch)
    {
        float value = loss.item<float>();
        if (!float.IsFinite(value))
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Training diverged in epoch {epoch} (loss {value}); nothing was cached. On CPUs whose oneDNN computes odd-channel " +
                "convolutions wrong, keep the widths at multiples of 16.");
    }
}
