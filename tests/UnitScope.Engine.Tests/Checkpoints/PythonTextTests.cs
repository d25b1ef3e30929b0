using UnitScope.Engine.Checkpoints;

namespace UnitScope.Engine.Tests.Checkpoints;

public class PythonTextTests
{
    /// <summary>Expected strings are Python 3's repr() of the same double.</summary>
    [Theory]
    [InlineData(81.25, "81.25")]
    [InlineData(5.0, "5.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(-1.5e-7, "-1.5e-07")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1.2345e22, "1.2345e+22")]
    [InlineData(123456789.125, "123456789.125")]
    [InlineData(0.10000000149011612, "0.10000000149011612")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NaN, "nan")]
    public void Floats_print_like_python_repr(double value, string expected) =>
        PythonText.Float(value).Should().Be(expected);
}
