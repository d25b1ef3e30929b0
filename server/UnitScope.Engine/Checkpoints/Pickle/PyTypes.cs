using System.Numerics;
using System.Text;

namespace UnitScope.Engine.Checkpoints.Pickle;

/// <summary>Checked conversions of unpickled values, with messages that name what was expected.</summary>
internal static class PyTypes
{
    public static string Describe(object? value) => value switch
    {
        null => "None",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        byte[] => "bytes",
        PyTuple => "tuple",
        PyList => "list",
        PyDict => "dict",
        PyGlobal g => g.FullName,
        StorageType s => "torch." + s.Dtype.StorageName,
        StorageRef => "storage",
        TensorRef => "tensor",
        NumpyDtype => "numpy.dtype",
        _ => value.GetType().Name,
    };

    public static long ToLong(object? value, string what) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        BigInteger => throw CheckpointProblem.Corrupt($"{what} is too large"),
        _ => throw CheckpointProblem.Corrupt($"{what} is a {Describe(value)}, expected an int"),
    };

    public static long[] ToLongs(object? value, string what) => value switch
    {
        PyTuple t => t.Items.Select(v => ToLong(v, what)).ToArray(),
        PyList l => l.Items.Select(v => ToLong(v, what)).ToArray(),
        _ => throw CheckpointProblem.Corrupt($"{what} is a {Describe(value)}, expected a tuple of ints"),
    };

    /// <summary>A str, or bytes from a Python 2 pickle, as text.</summary>
    public static string? AsText(object? value) => value switch
    {
        string s => s,
        byte[] b => Encoding.UTF8.GetString(b),
        _ => null,
    };
}
