using UnitScope.Engine.Runtime;

namespace UnitScope.Engine.Analysis.ExplanatoryGraph;

/// <summary>One layer's peaks over the images: per filter, per image.</summary>
public sealed record LayerPeaks(string Name, int Height, int Width, IReadOnlyList<FilterPeaks> Filters, int Images);

/// <summary>A mined layer: its kept nodes (with their firings on the training images) and the per-filter peak thresholds' base.</summary>
public sealed record MinedLayer(LayerPeaks Peaks, IReadOnlyList<PatternNode> Nodes, float[] FilterPeakMax);

/// <summary>
/// Mines the explanatory graph from the peaks, top-down (Zhang et al., AAAI 2018; a simplification, see README):
/// <list type="number">
/// <item>Each filter's peaks over all images seed its patterns: a weighted k-means (farthest-point start) of their
/// positions into at most <see cref="GraphOptions.PatternsPerFilter"/> nodes.</item>
/// <item>Top layer: EM of that mixture with a background term (<see cref="PatternAssignment"/>): each node's prior
/// is its mean position on every image; the M-step moves the mean and the spread to the peaks it took.</item>
/// <item>Lower layers: the first iteration as the top layer; then each node keeps the
/// <see cref="GraphOptions.ParentsPerNode"/> nodes of the layer above whose positions it keeps a stable displacement
/// to across the images (score Σ_I a_I·exp(−|d_I − Δ|² / 2σ²), d_I the displacement parent → node on image I,
/// a_I the node's strength on image I, Δ found by mean shift), and its prior on each image is
/// the parents' positions plus their displacements, weighted by the edges' weights (share of the node's strength that
/// co-fires at Δ). A node whose parents fire nowhere near one of its peaks does not fire: peaks without a stable
/// relation to the parts above are left as noise.</item>
/// <item>After <see cref="GraphOptions.Iterations"/> iterations, nodes firing on fewer than
/// <see cref="GraphOptions.MinFrequency"/> of the images are dropped and one more E-step gives the firings the
/// result reports (the same inference <see cref="ExplanatoryGraphAnalysis.Infer"/> runs on a new image).</item>
/// </list>
/// Pure arithmetic on peaks: no tensors, no model.
/// </summary>
public static class GraphMiner
{
    /// <summary>The largest spread a node may have, in shares of the input (or two cells, on a map of under 14 cells).</summary>
    public const double MaxSigma = 0.15;

    /// <summary>A node's spread on a map: at least one cell, at most <see cref="MaxSigma"/> or two cells.</summary>
    static double ClampSigma(double sigma, double cell) => Math.Clamp(sigma, cell, Math.Max(MaxSigma, 2 * cell));

    /// <summary>Mines <paramref name="layers"/> (top-down) in order; progress counts E-steps over all layers.</summary>
    public static IReadOnlyList<MinedLayer> Mine(IReadOnlyList<LayerPeaks> layers, GraphOptions options,
        IProgress<GraphProgress>? progress = null, CancellationToken ct = default)
    {
        var mined = new List<MinedLayer>();
        int total = layers.Count * (options.Iterations + 1), done = 0;
        progress?.Report(new GraphProgress(AnalysisPhase.Mining, 0, total));
        foreach (var layer in layers)
        {
            var upper = mined.Count == 0 ? null : mined[^1].Nodes;
            mined.Add(MineLayer(layer, upper, options, () =>
            {
                ct.ThrowIfCancellationRequested();
                progress?.Report(new GraphProgress(AnalysisPhase.Mining, ++done, total));
            }));
        }
        return mined;
    }

    static MinedLayer MineLayer(LayerPeaks layer, IReadOnlyList<PatternNode>? upper, GraphOptions options, Action step)
    {
        var peakMax = layer.Filters.Select(f => f.PerImage.Where(p => p is not null).SelectMany(p => p).Select(p => p.Value).DefaultIfEmpty(0f).Max()).ToArray();
        var peaks = Thresholded(layer, peakMax, options.PeakThreshold);
        double minSigma = 1.0 / Math.Max(layer.Height, layer.Width);
        var byFilter = new List<PatternNode>[layer.Filters.Count];
        Parallel.For(0, layer.Filters.Count, ParallelWork.Options(), f => byFilter[f] = Seed(f, peaks[f], options.PatternsPerFilter, minSigma, layer.Images));
        var nodes = byFilter.SelectMany(n => n).ToList();
        int[]?[] firedUpper = upper is null ? [] : FiredPerImage(upper, layer.Images);

        for (int iteration = 0; iteration < options.Iterations; iteration++)
        {
            Priors(nodes, upper, usesParents: upper is not null && iteration > 0);
            EStep(byFilter, peaks, layer.Images);
            Parallel.ForEach(nodes, ParallelWork.Options(), node => MStep(node, minSigma));
            if (upper is not null)
                Parallel.ForEach(nodes, ParallelWork.Options(), node => node.Parents = SelectParents(node, upper, firedUpper, options.ParentsPerNode));
            step();
        }
        // Drop what rarely fires, then the final E-step: the firings the result reports, as inference would find them.
        for (int f = 0; f < byFilter.Length; f++)
            byFilter[f] = [.. byFilter[f].Where(n => n.Frequency >= options.MinFrequency && n.Frequency > 0)];
        nodes = [.. byFilter.SelectMany(n => n)];
        Priors(nodes, upper, usesParents: upper is not null);
        EStep(byFilter, peaks, layer.Images);
        step();
        return new MinedLayer(layer, nodes, peakMax);
    }

    static Peak[][][] Thresholded(LayerPeaks layer, float[] peakMax, double threshold) =>
        [.. layer.Filters.Select((f, k) => f.PerImage.Select(p => PatternAssignment.AtLeast(p, threshold * peakMax[k])).ToArray())];

    static void Priors(IReadOnlyList<PatternNode> nodes, IReadOnlyList<PatternNode>? upper, bool usesParents)
    {
        foreach (var node in nodes)
            if (usesParents) node.PriorFromParents(upper!);
            else node.PriorAtMean();
    }

    static void EStep(List<PatternNode>[] byFilter, Peak[][][] peaks, int images) =>
        Parallel.For(0, byFilter.Length, ParallelWork.Options(), f =>
        {
            if (byFilter[f].Count == 0) return;
            for (int i = 0; i < images; i++)
                PatternAssignment.Assign(peaks[f][i], byFilter[f], i);
        });

    /// <summary>The node's mean position and its spread around its priors, from the peaks it took (weighted by strength).</summary>
    static void MStep(PatternNode node, double minSigma)
    {
        double w = 0, x = 0, y = 0, residual = 0;
        for (int i = 0; i < node.Images; i++)
        {
            double s = node.Strength[i];
            if (!(s > 0)) continue;
            w += s; x += s * node.FiredX[i]; y += s * node.FiredY[i];
            double dx = node.FiredX[i] - node.PriorX[i], dy = node.FiredY[i] - node.PriorY[i];
            residual += s * (dx * dx + dy * dy);
        }
        if (w == 0) return;
        node.X = x / w; node.Y = y / w;
        node.Sigma = ClampSigma(Math.Sqrt(residual / (2 * w)), minSigma);
    }

    /// <summary>Per image, the upper nodes that fire on it.</summary>
    static int[][] FiredPerImage(IReadOnlyList<PatternNode> upper, int images) =>
        [.. Enumerable.Range(0, images).Select(i => Enumerable.Range(0, upper.Count).Where(u => upper[u].Strength[i] > 0).ToArray())];

    /// <summary>
    /// The node's parents: the upper nodes with the highest stability scores (see <see cref="GraphMiner"/>), each with
    /// its displacement found by two mean-shift steps from the plain weighted mean, and weight score / Σ strength.
    /// </summary>
    static IReadOnlyList<ParentLink> SelectParents(PatternNode node, IReadOnlyList<PatternNode> upper, int[]?[] firedUpper, int parents)
    {
        var fired = Enumerable.Range(0, node.Images).Where(i => node.Strength[i] > 0).ToArray();
        double total = fired.Sum(i => node.Strength[i]);
        if (total == 0) return [];
        var upperMax = new double[upper.Count];
        var candidates = new HashSet<int>();
        foreach (int i in fired)
            foreach (int u in firedUpper[i]!) candidates.Add(u);
        double twoSigma2 = 2 * node.Sigma * node.Sigma;
        var links = new List<(ParentLink Link, double Score)>();
        foreach (int u in candidates)
        {
            var parent = upper[u];
            double Weight(int i) => node.Strength[i];
            // Plain weighted mean of the displacements, then two mean-shift steps with the node's kernel.
            double a = 0, dx = 0, dy = 0;
            foreach (int i in fired)
            {
                if (!(parent.Strength[i] > 0)) continue;
                double w = Weight(i);
                a += w; dx += w * (node.FiredX[i] - parent.FiredX[i]); dy += w * (node.FiredY[i] - parent.FiredY[i]);
            }
            if (a == 0) continue;
            dx /= a; dy /= a;
            double score = 0;
            for (int shift = 0; shift < 2; shift++)
            {
                double g = 0, gx = 0, gy = 0;
                foreach (int i in fired)
                {
                    if (!(parent.Strength[i] > 0)) continue;
                    double ex = node.FiredX[i] - parent.FiredX[i], ey = node.FiredY[i] - parent.FiredY[i];
                    double k = Weight(i) * Math.Exp(-((ex - dx) * (ex - dx) + (ey - dy) * (ey - dy)) / twoSigma2);
                    g += k; gx += k * ex; gy += k * ey;
                }
                score = g;
                if (g == 0) break;
                dx = gx / g; dy = gy / g;
            }
            if (score > 0) links.Add((new ParentLink(u, dx, dy, score / total), score));
        }
        return [.. links.OrderByDescending(l => l.Score).ThenBy(l => l.Link.Upper).Take(parents).Select(l => l.Link)];
    }

    /// <summary>
    /// A filter's first patterns: weighted k-means of its peaks' positions (weights: the peaks' values), started at the
    /// strongest peak and then, one by one, at the peak farthest from the centres so far (× its value); fewer when the
    /// filter has fewer distinct positions. None for a filter without peaks.
    /// </summary>
    static List<PatternNode> Seed(int filter, Peak[][] perImage, int count, double minSigma, int images)
    {
        var points = perImage.SelectMany(p => p).ToArray();
        if (points.Length == 0) return [];
        var centres = new List<(double X, double Y)> { (points.MaxBy(p => p.Value).X, points.MaxBy(p => p.Value).Y) };
        while (centres.Count < count)
        {
            var far = points.Select(p => (p, D: centres.Min(c => Square(p.X - c.X) + Square(p.Y - c.Y)) * p.Value)).MaxBy(t => t.D);
            if (!(far.D > 0)) break;
            centres.Add((far.p.X, far.p.Y));
        }
        var spread = new double[centres.Count];
        for (int round = 0; round < 10; round++)
        {
            var sums = new (double W, double X, double Y, double R)[centres.Count];
            foreach (var p in points)
            {
                int nearest = 0;
                for (int c = 1; c < centres.Count; c++)
                    if (Square(p.X - centres[c].X) + Square(p.Y - centres[c].Y) < Square(p.X - centres[nearest].X) + Square(p.Y - centres[nearest].Y))
                        nearest = c;
                sums[nearest].W += p.Value; sums[nearest].X += p.Value * p.X; sums[nearest].Y += p.Value * p.Y;
                sums[nearest].R += p.Value * (Square(p.X - centres[nearest].X) + Square(p.Y - centres[nearest].Y));
            }
            for (int c = 0; c < centres.Count; c++)
                if (sums[c].W > 0)
                {
                    spread[c] = Math.Sqrt(sums[c].R / (2 * sums[c].W));
                    centres[c] = (sums[c].X / sums[c].W, sums[c].Y / sums[c].W);
                }
        }
        return [.. centres.Select((c, k) => new PatternNode(filter, c.X, c.Y, ClampSigma(Math.Max(spread[k], 2 * minSigma), minSigma), images))];
    }

    static double Square(double v) => v * v;
}
