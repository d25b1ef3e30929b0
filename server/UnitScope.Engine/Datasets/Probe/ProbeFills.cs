using static UnitScope.Engine.Datasets.Probe.ProbeVocabulary;

namespace UnitScope.Engine.Datasets.Probe;

/// <summary>
/// How a region is painted: at each point (unit coordinates, y down) a fill names the paint there and a
/// luminance shade to add to it. The paint decides the point's colour label; <see cref="Material"/> and
/// <see cref="Texture"/> label the whole region. Patterns are functions of the point alone, so image and
/// mask sampled at the same point agree exactly.
/// </summary>
internal abstract class Fill(int material = 0, int texture = 0)
{
    public int Material { get; } = material;
    public int Texture { get; } = texture;

    public abstract Paint Sample(double x, double y, out int shade);

    protected static double Mod(double a, double m) => a - m * Math.Floor(a / m);

    protected static double Frac(double a) => a - Math.Floor(a);
}

/// <summary>Axes rotated by an angle about an origin: pattern coordinates (u, v).</summary>
internal readonly struct Frame(double ox, double oy, double angle)
{
    readonly double _cos = Math.Cos(angle), _sin = Math.Sin(angle);

    public double U(double x, double y) => (x - ox) * _cos + (y - oy) * _sin;
    public double V(double x, double y) => -(x - ox) * _sin + (y - oy) * _cos;
}

/// <summary>One paint with a constant shade, a linear gradient and optional blotchy cell noise (leaves,
/// asphalt).</summary>
internal sealed class SolidFill(Paint paint, int bias = 0, double gx = 0, double gy = 0, double ox = 0, double oy = 0,
    int blotch = 0, double cell = 0.03, uint seed = 0) : Fill
{
    public override Paint Sample(double x, double y, out int shade)
    {
        double s = bias + gx * (x - ox) + gy * (y - oy);
        if (blotch > 0)
            s += (ProbeRandom.Hash01(seed, (int)Math.Floor(x / cell), (int)Math.Floor(y / cell)) - 0.5) * 2 * blotch;
        shade = (int)Math.Round(s);
        return paint;
    }
}

/// <summary>One paint lit from the upper left: a ball, a sun.</summary>
internal sealed class RadialFill(Paint paint, double cx, double cy, double r, int strength = 35) : Fill
{
    public override Paint Sample(double x, double y, out int shade)
    {
        double dx = x - (cx - 0.35 * r), dy = y - (cy - 0.35 * r);
        double t = Math.Min(1, Math.Sqrt(dx * dx + dy * dy) / (1.6 * r));
        shade = (int)Math.Round(strength * (1 - 2 * t));
        return paint;
    }
}

/// <summary>Two paints in one of the texture patterns (striped, chequered, dotted, zigzagged, grid, noisy).
/// <paramref name="a"/> is the figure (stripes, dots, lines), <paramref name="b"/> the ground.</summary>
internal sealed class TextureFill : Fill
{
    readonly Paint _a, _b;
    readonly Frame _frame;
    readonly double _period, _line, _wave;
    readonly uint _seed;

    public TextureFill(int texture, Paint a, Paint b, double period, double angle, double ox, double oy, double px, uint seed)
        : base(texture: texture)
    {
        _a = a; _b = b;
        _frame = new Frame(ox, oy, angle);
        _period = period;
        _line = Math.Max(0.16 * period, 1.1 * px);
        _wave = period * 1.3;
        _seed = seed;
    }

    public override Paint Sample(double x, double y, out int shade)
    {
        shade = 0;
        double u = _frame.U(x, y), v = _frame.V(x, y), p = _period;
        bool figure = Texture switch
        {
            Striped => ((long)Math.Floor(u / (p / 2)) & 1) == 0,
            Chequered => (((long)Math.Floor(u / p) + (long)Math.Floor(v / p)) & 1) == 0,
            Dotted => Dot(u, v, p),
            Zigzagged => ((long)Math.Floor((v + _wave * 0.8 * Math.Abs(Frac(u / _wave) - 0.5)) / (p / 2)) & 1) == 0,
            Grid => Mod(u, p) < _line || Mod(v, p) < _line,
            Noisy => ProbeRandom.Hash(_seed, (int)Math.Floor(u / (p * 0.3)), (int)Math.Floor(v / (p * 0.3))) < 0x80000000u,
            _ => throw new InvalidOperationException($"not a texture: {Texture}"),
        };
        return figure ? _a : _b;
    }

    static bool Dot(double u, double v, double p)
    {
        double row = Math.Floor(v / p);
        double shift = ((long)row & 1) == 0 ? 0 : p / 2;
        double du = Mod(u + shift, p) - p / 2, dv = Mod(v, p) - p / 2;
        return du * du + dv * dv < 0.09 * p * p;
    }
}

/// <summary>Staggered bricks (one paint, each brick shaded on its own) in mortar lines.</summary>
internal sealed class BrickFill : Fill
{
    readonly Paint _brick, _mortar;
    readonly Frame _frame;
    readonly double _row, _length, _mortarWidth;
    readonly uint _seed;

    public BrickFill(Paint brick, Paint mortar, double row, double ox, double oy, double px, uint seed)
        : base(Brick)
    {
        _brick = brick; _mortar = mortar;
        _frame = new Frame(ox, oy, 0);
        _row = row; _length = row * 2.2;
        _mortarWidth = Math.Max(0.2 * row, 1.1 * px);
        _seed = seed;
    }

    public override Paint Sample(double x, double y, out int shade)
    {
        double u = _frame.U(x, y), v = _frame.V(x, y);
        double row = Math.Floor(v / _row);
        double shifted = u + (((long)row & 1) == 0 ? 0 : _length / 2);
        double col = Math.Floor(shifted / _length);
        if (v - row * _row < _mortarWidth || shifted - col * _length < _mortarWidth)
        {
            shade = 0;
            return _mortar;
        }
        shade = (int)Math.Round((ProbeRandom.Hash01(_seed, (int)col, (int)row) - 0.5) * 36);
        return _brick;
    }
}

/// <summary>Wood: wavy grain of a light and a dark paint, with plank seams.</summary>
internal sealed class WoodFill : Fill
{
    readonly Paint _light, _dark;
    readonly Frame _frame;
    readonly double _grain, _plank, _seam, _freq, _phase;

    public WoodFill(Paint light, Paint dark, double angle, double grain, double plank, double ox, double oy, double px, double phase)
        : base(Wood)
    {
        _light = light; _dark = dark;
        _frame = new Frame(ox, oy, angle);
        _grain = grain; _plank = plank;
        _seam = 1.1 * px;
        _freq = 2 * Math.PI / (grain * 9);
        _phase = phase;
    }

    public override Paint Sample(double x, double y, out int shade)
    {
        double u = _frame.U(x, y), v = _frame.V(x, y);
        if (Mod(v, _plank) < _seam)
        {
            shade = -25;
            return _dark;
        }
        double plank = Math.Floor(v / _plank);
        double w = v + _grain * 0.6 * Math.Sin(u * _freq + _phase + plank * 1.7) + _grain * 0.25 * Math.Sin(u * _freq * 2.7 + plank);
        double ring = Frac(w / _grain);
        shade = (int)Math.Round((ring - 0.5) * 24);
        return ring < 0.3 ? _dark : _light;
    }
}

/// <summary>Grass: short vertical blades of two greens.</summary>
internal sealed class GrassFill : Fill
{
    readonly Paint _light, _dark;
    readonly double _blade, _length;
    readonly uint _seed;

    public GrassFill(Paint light, Paint dark, double px, uint seed)
        : base(Grass)
    {
        _light = light; _dark = dark;
        _blade = Math.Max(0.012, 1.1 * px);
        _length = 0.05;
        _seed = seed;
    }

    public override Paint Sample(double x, double y, out int shade)
    {
        int col = (int)Math.Floor(x / _blade);
        double phase = ProbeRandom.Hash01(_seed, col, 7) * _length;
        double t = (y + phase) / _length;
        int cell = (int)Math.Floor(t);
        shade = (int)Math.Round((ProbeRandom.Hash01(_seed, col, cell) - 0.5) * 30);
        return Frac(t) < 0.45 ? _dark : _light;
    }
}

/// <summary>Water: one paint with wave crests of a second one, darker with depth.</summary>
internal sealed class WaterFill(Paint water, Paint crest, double period, double top, uint seed) : Fill(ProbeVocabulary.Water)
{
    public override Paint Sample(double x, double y, out int shade)
    {
        double row = Math.Floor(y / period);
        double w = y + period * 0.35 * Math.Sin(x * 2 * Math.PI / (period * 6) + ProbeRandom.Hash01(seed, (int)row, 3) * 6.283);
        shade = (int)Math.Round(15 - (y - top) * 60);
        if (Frac(w / period) < 0.16)
        {
            shade = 0;
            return crest;
        }
        return water;
    }
}

/// <summary>Metal: a grey sheen (smooth bands of light), brushed lines, a white highlight streak.</summary>
internal sealed class MetalFill : Fill
{
    readonly Paint _metal, _highlight;
    readonly Frame _frame;
    readonly double _span, _streak, _px;
    readonly uint _seed;

    public MetalFill(Paint metal, Paint highlight, double angle, double span, double ox, double oy, double px, uint seed)
        : base(ProbeVocabulary.Metal)
    {
        _metal = metal; _highlight = highlight;
        _frame = new Frame(ox, oy, angle);
        _span = span;
        _streak = Math.Max(span * 0.08, 1.1 * px);
        _px = px;
        _seed = seed;
    }

    public override Paint Sample(double x, double y, out int shade)
    {
        double u = _frame.U(x, y), v = _frame.V(x, y);
        double m = Mod(u, _span);
        if (Math.Abs(m - _span * 0.3) < _streak / 2)
        {
            shade = 0;
            return _highlight;
        }
        shade = (int)Math.Round(32 * Math.Cos(m / _span * 2 * Math.PI)
            + (ProbeRandom.Hash01(_seed, (int)Math.Floor(v / _px), 5) - 0.5) * 12);
        return _metal;
    }
}

/// <summary>Sand: one paint with sparse speckles of a second, and low dunes of light.</summary>
internal sealed class SandFill : Fill
{
    readonly Paint _sand, _speckle;
    readonly double _cell;
    readonly uint _seed;

    public SandFill(Paint sand, Paint speckle, double px, uint seed)
        : base(ProbeVocabulary.Sand)
    {
        _sand = sand; _speckle = speckle;
        _cell = Math.Max(0.011, 1.1 * px);
        _seed = seed;
    }

    public override Paint Sample(double x, double y, out int shade)
    {
        int cx = (int)Math.Floor(x / _cell), cy = (int)Math.Floor(y / _cell);
        uint h = ProbeRandom.Hash(_seed, cx, cy);
        shade = (int)Math.Round(10 * Math.Sin(y * 40 + x * 9) + ((h >> 8) & 15) - 7.5);
        return (h & 0xFF) < 30 ? _speckle : _sand;
    }
}
