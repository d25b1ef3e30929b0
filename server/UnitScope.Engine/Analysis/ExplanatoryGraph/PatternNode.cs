namespace UnitScope.Engine.Analysis.ExplanatoryGraph;

/// <summary>A node's link to a parent in the layer above (its index there): the displacement parent → child and the weight.</summary>
public readonly record struct ParentLink(int Upper, double Dx, double Dy, double Weight);

/// <summary>
/// A part pattern while it is mined or inferred: its filter, mean position and spread, its parents, and per image
/// where its prior puts it, where it fired (the peak it took) and how strongly (0: it did not fire).
/// </summary>
public sealed class PatternNode
{
    public PatternNode(int filter, double x, double y, double sigma, int images)
    {
        Filter = filter; X = x; Y = y; Sigma = sigma;
        PriorX = new double[images]; PriorY = new double[images]; HasPrior = new bool[images];
        FiredX = new double[images]; FiredY = new double[images]; Strength = new double[images]; Basin = new double[images];
    }

    public int Filter { get; }
    public double X { get; set; }
    public double Y { get; set; }
    public double Sigma { get; set; }
    public IReadOnlyList<ParentLink> Parents { get; set; } = [];

    public double[] PriorX { get; }
    public double[] PriorY { get; }
    public bool[] HasPrior { get; }
    public double[] FiredX { get; }
    public double[] FiredY { get; }
    /// <summary>The responsibility-weighted value of the peak the node took on each image; 0 where it did not fire.</summary>
    public double[] Strength { get; }
    /// <summary>The basin energy of that peak (what the node explains of the filter's activation there).</summary>
    public double[] Basin { get; }

    public int Images => Strength.Length;

    /// <summary>The share of the images the node fires on.</summary>
    public double Frequency => Strength.Count(s => s > 0) / (double)Math.Max(1, Images);

    /// <summary>Puts the prior at the node's own mean position on every image (the top layer, and a lower layer's first iteration).</summary>
    public void PriorAtMean()
    {
        Array.Fill(PriorX, X); Array.Fill(PriorY, Y); Array.Fill(HasPrior, true);
    }

    /// <summary>
    /// Puts the prior where the parents that fired on each image predict the node (their positions plus the
    /// displacements, weighted by the edges' weights); no prior, so no firing, on an image where none fired.
    /// </summary>
    public void PriorFromParents(IReadOnlyList<PatternNode> upper)
    {
        for (int i = 0; i < Images; i++)
        {
            double x = 0, y = 0, w = 0;
            foreach (var link in Parents)
            {
                var parent = upper[link.Upper];
                if (!(parent.Strength[i] > 0) || !(link.Weight > 0)) continue;
                x += link.Weight * (parent.FiredX[i] + link.Dx);
                y += link.Weight * (parent.FiredY[i] + link.Dy);
                w += link.Weight;
            }
            HasPrior[i] = w > 0;
            PriorX[i] = w > 0 ? x / w : X;
            PriorY[i] = w > 0 ? y / w : Y;
        }
    }
}
