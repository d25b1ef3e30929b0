namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>
/// The linear assignment problem (the Hungarian method, in its shortest-augmenting-path form with potentials, O(n²m)):
/// for a rows × columns cost matrix with rows ≤ columns, the column of each row that makes the total cost smallest,
/// every column used at most once.
/// </summary>
/// <remarks>
/// Hand-written: the one served library with an assignment solver (Google.OrTools' LinearSumAssignment) takes integer
/// costs only (correlations would be quantised, which breaks the exact ties the identity and permutation checks rely
/// on) and brings a large native runtime and its own Protobuf floor for 60 lines of arithmetic. Checked against brute
/// force over every permutation in the tests.
/// </remarks>
public static class LinearAssignment
{
    /// <summary>The column assigned to each row, minimising the sum of <paramref name="cost"/>[row, column].</summary>
    /// <exception cref="ArgumentException">More rows than columns, or a cost that is not finite.</exception>
    public static int[] Minimize(double[,] cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        int n = cost.GetLength(0), m = cost.GetLength(1);
        if (n > m)
            throw new ArgumentException($"The cost matrix has more rows ({n}) than columns ({m}): transpose it.", nameof(cost));
        foreach (double c in cost)
            if (!double.IsFinite(c))
                throw new ArgumentException("Every cost must be finite.", nameof(cost));

        // 1-based: row 0 and column 0 are the virtual start of each augmenting path.
        var u = new double[n + 1];
        var v = new double[m + 1];
        var rowOf = new int[m + 1];   // the row assigned to each column (0: free)
        var way = new int[m + 1];     // the previous column on the shortest path
        var minTo = new double[m + 1];
        var used = new bool[m + 1];
        for (int row = 1; row <= n; row++)
        {
            rowOf[0] = row;
            int column = 0;
            Array.Fill(minTo, double.PositiveInfinity);
            Array.Fill(used, false);
            do
            {
                used[column] = true;
                int i = rowOf[column], next = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= m; j++)
                {
                    if (used[j]) continue;
                    double reduced = cost[i - 1, j - 1] - u[i] - v[j];
                    if (reduced < minTo[j]) { minTo[j] = reduced; way[j] = column; }
                    if (minTo[j] < delta) { delta = minTo[j]; next = j; }
                }
                for (int j = 0; j <= m; j++)
                {
                    if (used[j]) { u[rowOf[j]] += delta; v[j] -= delta; }
                    else minTo[j] -= delta;
                }
                column = next;
            } while (rowOf[column] != 0);
            // Flip the path's assignments back to the start.
            do
            {
                int previous = way[column];
                rowOf[column] = rowOf[previous];
                column = previous;
            } while (column != 0);
        }
        var assignment = new int[n];
        for (int j = 1; j <= m; j++)
            if (rowOf[j] != 0) assignment[rowOf[j] - 1] = j - 1;
        return assignment;
    }
}
