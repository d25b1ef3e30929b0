using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering.Adversarial;

/// <summary>
/// An attack's perturbation made visible: mid-grey where a channel value is unchanged, brighter where the attack raised
/// it and darker where it lowered it, scaled so a change of ε (<paramref name="levels"/> 8-bit levels) reaches black or
/// white. The perturbation itself is a few levels, invisible as it is.
/// </summary>
public static class PerturbationImage
{
    public static RgbImage Amplified(RgbImage clean, RgbImage attacked, int levels)
    {
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(attacked);
        if (clean.Width != attacked.Width || clean.Height != attacked.Height || clean.Channels != attacked.Channels)
            throw new ArgumentException($"The attacked image ({attacked.Width}x{attacked.Height}x{attacked.Channels}) is not the clean one's size ({clean.Width}x{clean.Height}x{clean.Channels}).");
        double scale = 127.5 / Math.Max(1, levels);
        var px = new byte[clean.Pixels.Length];
        for (int i = 0; i < px.Length; i++)
            px[i] = (byte)Math.Clamp(Math.Round(127.5 + (attacked.Pixels[i] - clean.Pixels[i]) * scale), 0, 255);
        return clean with { Pixels = px };
    }

    public static byte[] RenderPng(RgbImage clean, RgbImage attacked, int levels) => Png.Encode(Amplified(clean, attacked, levels));
}
