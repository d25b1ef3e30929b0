using UnitScope.Engine.Analysis.Evolution;

namespace UnitScope.Engine.Tests.Evolution;

/// <summary>The hand-written Hungarian method against brute force over every assignment.</summary>
public sealed class LinearAssignmentTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    [InlineData(5, 5)]
    [InlineData(7, 7)]
    [InlineData(2, 5)]
    [InlineData(4, 7)]
    [InlineData(6, 7)]
    public void Finds_the_cheapest_assignment(int rows, int columns)
    {
        var random = new Random(rows * 31 + columns);
        for (int trial = 0; trial < 20; trial++)
        {
            var cost = new double[rows, columns];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++)
                    // Few distinct values on odd trials: many ties.
                    cost[i, j] = trial % 2 == 0 ? random.NextDouble() * 10 - 5 : random.Next(3);
            var assignment = LinearAssignment.Minimize(cost);

            assignment.Should().OnlyHaveUniqueItems();
            assignment.Should().OnlyContain(j => j >= 0 && j < columns);
            Total(cost, assignment).Should().BeApproximately(BruteForce(cost), 1e-9);
        }
    }

    [Fact]
    public void Recovers_a_permutation_of_the_identity()
    {
        int[] permutation = [4, 0, 6, 2, 5, 1, 3];
        var cost = new double[7, 7];
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 7; j++)
                cost[i, j] = permutation[i] == j ? -1 : -0.2 * ((i + j) % 3);
        LinearAssignment.Minimize(cost).Should().Equal(permutation);
    }

    [Fact]
    public void Refuses_more_rows_than_columns_and_infinite_costs()
    {
        FluentActions.Invoking(() => LinearAssignment.Minimize(new double[3, 2])).Should().Throw<ArgumentException>().WithMessage("*more rows*");
        var cost = new double[2, 2];
        cost[1, 0] = double.NaN;
        FluentActions.Invoking(() => LinearAssignment.Minimize(cost)).Should().Throw<ArgumentException>().WithMessage("*finite*");
    }

    static double Total(double[,] cost, int[] assignment) => assignment.Select((j, i) => cost[i, j]).Sum();

    static double BruteForce(double[,] cost)
    {
        int rows = cost.GetLength(0), columns = cost.GetLength(1);
        double best = double.PositiveInfinity;
        var used = new bool[columns];
        void Walk(int row, double sum)
        {
            if (row == rows) { best = Math.Min(best, sum); return; }
            for (int j = 0; j < columns; j++)
            {
                if (used[j]) continue;
                used[j] = true;
                Walk(row + 1, sum + cost[row, j]);
                used[j] = false;
            }
        }
        Walk(0, 0);
        return best;
    }
}
