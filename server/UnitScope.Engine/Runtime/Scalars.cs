using TorchSharp;

namespace UnitScope.Engine.Runtime;

/// <summary>
/// Scalars that stay reachable while libtorch uses them. TorchSharp turns a number argument into a
/// temporary <see cref="Scalar"/> whose native handle it passes on without keeping the object
/// alive, and a Scalar's finalizer frees that handle: a garbage collection (another thread allocating is
/// enough) during the native call can free it under libtorch's feet ("Expected false to be true …
/// toFloat"). Tensor ops here therefore take their numbers as Scalars held by a static field (One) or
/// by a <c>using</c> variable for the length of the call (<see cref="Of"/>).
/// </summary>
internal static class Scalars
{
    /// <summary>1, the alpha of add/add_/index_add_ (<c>a + b</c> would pass a temporary one).</summary>
    public static readonly Scalar One = 1;

    public static readonly Scalar Zero = 0;

    /// <summary>−1, the alpha of <c>a.add(b, MinusOne)</c>: a − b without a temporary Scalar.</summary>
    public static readonly Scalar MinusOne = -1;

    /// <summary>A Scalar to hold in a <c>using</c> variable around the ops that take it.</summary>
    public static Scalar Of(long value) => value;

    public static Scalar Of(double value) => value;
}
