namespace UnitScope.Engine.Analysis.ExplanatoryGraph;

/// <summary>
/// The E-step, shared by mining and by inference on a new image: on one image, the peaks of one filter are shared out
/// among that filter's nodes. Each node's kernel at a peak is exp(−d² / 2σ²), d the distance from the node's prior
/// position there; a peak's responsibility to a node is that kernel over the sum of all the filter's kernels plus a
/// background term (<see cref="Background"/>, the kernel at 3σ), so the filter's patterns compete for its peaks and a
/// peak far from every prior is noise. A peak goes to the node whose kernel is largest there, if that kernel reaches the
/// background (within 3σ of the node's prior); a node fires on the peak it got where responsibility × value is largest.
/// </summary>
public static class PatternAssignment
{
    /// <summary>The background (noise) term: the kernel's value at 3σ.</summary>
    public static readonly double Background = Math.Exp(-4.5);

    /// <summary>Assigns the image's <paramref name="peaks"/> (already thresholded) to <paramref name="nodes"/> (all of one filter).</summary>
    public static void Assign(ReadOnlySpan<Peak> peaks, IReadOnlyList<PatternNode> nodes, int image)
    {
        foreach (var node in nodes)
        {
            node.Strength[image] = 0; node.Basin[image] = 0;
            node.FiredX[image] = node.PriorX[image]; node.FiredY[image] = node.PriorY[image];
        }
        if (peaks.Length == 0 || nodes.Count == 0) return;
        var kernels = new double[nodes.Count];
        var bestScore = new double[nodes.Count];
        var bestPeak = new int[nodes.Count];
        Array.Fill(bestPeak, -1);
        for (int p = 0; p < peaks.Length; p++)
        {
            double sum = Background;
            for (int n = 0; n < nodes.Count; n++)
            {
                var node = nodes[n];
                if (!node.HasPrior[image]) { kernels[n] = 0; continue; }
                double dx = peaks[p].X - node.PriorX[image], dy = peaks[p].Y - node.PriorY[image];
                kernels[n] = Math.Exp(-(dx * dx + dy * dy) / (2 * node.Sigma * node.Sigma));
                sum += kernels[n];
            }
            // Only the node whose kernel is largest here may take the peak, and only within 3σ of its prior.
            int owner = -1;
            for (int n = 0; n < nodes.Count; n++)
                if (kernels[n] >= Background && (owner < 0 || kernels[n] > kernels[owner])) owner = n;
            if (owner < 0) continue;
            double score = kernels[owner] / sum * peaks[p].Value;
            if (score > bestScore[owner])
            {
                bestScore[owner] = score; bestPeak[owner] = p;
            }
        }
        for (int n = 0; n < nodes.Count; n++)
        {
            if (bestPeak[n] < 0) continue;
            var peak = peaks[bestPeak[n]];
            nodes[n].Strength[image] = bestScore[n];
            nodes[n].Basin[image] = peak.Basin;
            nodes[n].FiredX[image] = peak.X;
            nodes[n].FiredY[image] = peak.Y;
        }
    }

    /// <summary>The peaks of <paramref name="all"/> whose value reaches <paramref name="threshold"/>.</summary>
    public static Peak[] AtLeast(Peak[]? all, double threshold) =>
        all is null ? [] : [.. all.Where(p => p.Value >= threshold)];
}
