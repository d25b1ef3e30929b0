namespace UnitScope.Engine.Datasets.Probe;

/// <summary>A region of the plane (unit coordinates, y down) with its bounding box.</summary>
internal abstract class Shape
{
    public double X0 { get; protected init; }
    public double Y0 { get; protected init; }
    public double X1 { get; protected init; }
    public double Y1 { get; protected init; }

    public bool InBounds(double x, double y) => x >= X0 && x < X1 && y >= Y0 && y < Y1;

    public abstract bool Contains(double x, double y);
}

/// <summary>[x0, x1) × [y0, y1).</summary>
internal sealed class RectShape : Shape
{
    public RectShape(double x0, double y0, double x1, double y1)
    {
        X0 = Math.Min(x0, x1); X1 = Math.Max(x0, x1);
        Y0 = Math.Min(y0, y1); Y1 = Math.Max(y0, y1);
    }

    public override bool Contains(double x, double y) => InBounds(x, y);
}

internal sealed class EllipseShape : Shape
{
    readonly double _cx, _cy, _irx2, _iry2;

    public EllipseShape(double cx, double cy, double rx, double ry)
    {
        _cx = cx; _cy = cy;
        _irx2 = 1 / (rx * rx); _iry2 = 1 / (ry * ry);
        X0 = cx - rx; X1 = cx + rx; Y0 = cy - ry; Y1 = cy + ry;
    }

    public static EllipseShape Circle(double cx, double cy, double r) => new(cx, cy, r, r);

    public override bool Contains(double x, double y)
    {
        double dx = x - _cx, dy = y - _cy;
        return dx * dx * _irx2 + dy * dy * _iry2 < 1;
    }
}

/// <summary>A simple polygon (even–odd rule).</summary>
internal sealed class PolygonShape : Shape
{
    readonly double[] _x, _y;

    public PolygonShape(params (double X, double Y)[] points)
    {
        _x = points.Select(p => p.X).ToArray();
        _y = points.Select(p => p.Y).ToArray();
        X0 = _x.Min(); X1 = _x.Max(); Y0 = _y.Min(); Y1 = _y.Max();
    }

    public override bool Contains(double x, double y)
    {
        bool inside = false;
        for (int i = 0, j = _x.Length - 1; i < _x.Length; j = i++)
        {
            if ((_y[i] > y) != (_y[j] > y)
                && x < (_x[j] - _x[i]) * (y - _y[i]) / (_y[j] - _y[i]) + _x[i])
                inside = !inside;
        }
        return inside;
    }
}
