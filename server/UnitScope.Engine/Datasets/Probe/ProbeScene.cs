namespace UnitScope.Engine.Datasets.Probe;

/// <summary>A shape painted with a fill, labelled as one part of its object (0: no part).</summary>
internal sealed record Piece(Shape Shape, Fill Fill, int Part);

/// <summary>
/// One thing in a scene (an object, or an unlabelled background region when <see cref="Label"/> is 0):
/// pieces painted in order, later ones on top. Objects are painted in <see cref="Depth"/> order (nearer =
/// larger = later; the order of insertion breaks ties), so whatever covers a point last is what is visible
/// and labelled there: an occluded piece gets no label.
/// </summary>
internal sealed class SceneObject(int label, double depth)
{
    readonly List<Piece> _pieces = [];
    double _x0 = double.MaxValue, _y0 = double.MaxValue, _x1 = double.MinValue, _y1 = double.MinValue;

    public int Label { get; } = label;
    public double Depth { get; } = depth;
    public IReadOnlyList<Piece> Pieces => _pieces;

    public SceneObject Add(Shape shape, Fill fill, int part = 0)
    {
        _pieces.Add(new Piece(shape, fill, part));
        _x0 = Math.Min(_x0, shape.X0); _y0 = Math.Min(_y0, shape.Y0);
        _x1 = Math.Max(_x1, shape.X1); _y1 = Math.Max(_y1, shape.Y1);
        return this;
    }

    /// <summary>The topmost piece covering (x, y), or null.</summary>
    public Piece? Hit(double x, double y)
    {
        if (x < _x0 || x >= _x1 || y < _y0 || y >= _y1)
            return null;
        for (int i = _pieces.Count - 1; i >= 0; i--)
        {
            var piece = _pieces[i];
            if (piece.Shape.InBounds(x, y) && piece.Shape.Contains(x, y))
                return piece;
        }
        return null;
    }
}

/// <summary>A scene: its image-level label and its objects (background regions first).</summary>
internal sealed class ProbeScene(int label)
{
    readonly List<SceneObject> _objects = [];

    public int Label { get; } = label;

    public IReadOnlyList<SceneObject> Objects => _objects;

    public SceneObject Add(SceneObject o)
    {
        _objects.Add(o);
        return o;
    }

    /// <summary>Objects in painting order (by depth, stable).</summary>
    public SceneObject[] PaintOrder() => [.. _objects.OrderBy(o => o.Depth)];
}

/// <summary>Per-pixel label maps of one image (row-major, mask resolution).</summary>
internal sealed class LabelMaps(int size)
{
    public int Size { get; } = size;
    public int[] Color { get; } = new int[size * size];
    public int[] Object { get; } = new int[size * size];
    public int[] Part { get; } = new int[size * size];
    public int[] Material { get; } = new int[size * size];
    public int[] Texture { get; } = new int[size * size];

    /// <summary>The map of a pixel-level category (see <see cref="ProbeVocabulary.PixelCategories"/>).</summary>
    public int[] Of(string category) => category switch
    {
        "color" => Color,
        "object" => Object,
        "part" => Part,
        "material" => Material,
        "texture" => Texture,
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, null),
    };
}

/// <summary>
/// Renders a scene without antialiasing: each pixel shows, and is labelled with, whatever covers its
/// centre. Pixel (px, py) of an n-pixel side samples the point ((px + ½)/n, (py + ½)/n), so masks at another
/// resolution label what is visible at their own pixels' centres.
/// </summary>
internal static class ProbeRenderer
{
    /// <summary>The image (RGB, row-major) and its labels, both size × size.</summary>
    public static void Render(ProbeScene scene, int size, uint noiseSeed, byte[] rgb, LabelMaps labels)
    {
        var order = scene.PaintOrder();
        for (int py = 0; py < size; py++)
        {
            double y = (py + 0.5) / size;
            for (int px = 0; px < size; px++)
            {
                double x = (px + 0.5) / size;
                int i = py * size + px;
                var (owner, piece) = HitTop(order, x, y);
                var paint = piece.Fill.Sample(x, y, out int shade);
                Store(labels, i, owner, piece, paint);
                // Luminance noise, then the paint's colour box: the pixel stays in its colour's region.
                int noise = (int)(ProbeRandom.Hash(noiseSeed, px, py) & 15) - 7;
                var box = ProbePalette.Box(paint.Color);
                rgb[3 * i] = (byte)Math.Clamp(paint.R + shade + noise, box.R0, box.R1);
                rgb[3 * i + 1] = (byte)Math.Clamp(paint.G + shade + noise, box.G0, box.G1);
                rgb[3 * i + 2] = (byte)Math.Clamp(paint.B + shade + noise, box.B0, box.B1);
            }
        }
    }

    /// <summary>Labels only, at <see cref="LabelMaps.Size"/> (for masks at another size than the image).</summary>
    public static void RenderLabels(ProbeScene scene, LabelMaps labels)
    {
        var order = scene.PaintOrder();
        int size = labels.Size;
        for (int py = 0; py < size; py++)
        {
            double y = (py + 0.5) / size;
            for (int px = 0; px < size; px++)
            {
                double x = (px + 0.5) / size;
                var (owner, piece) = HitTop(order, x, y);
                Store(labels, py * size + px, owner, piece, piece.Fill.Sample(x, y, out _));
            }
        }
    }

    static (SceneObject, Piece) HitTop(SceneObject[] order, double x, double y)
    {
        for (int k = order.Length - 1; k >= 0; k--)
        {
            var piece = order[k].Hit(x, y);
            if (piece is not null)
                return (order[k], piece);
        }
        throw new InvalidOperationException($"The scene leaves ({x}, {y}) uncovered: every scene needs a full background.");
    }

    static void Store(LabelMaps labels, int i, SceneObject owner, Piece piece, Paint paint)
    {
        labels.Color[i] = paint.Color;
        labels.Object[i] = owner.Label;
        labels.Part[i] = piece.Part;
        labels.Material[i] = piece.Fill.Material;
        labels.Texture[i] = piece.Fill.Texture;
    }
}
