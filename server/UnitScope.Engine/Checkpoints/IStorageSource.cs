using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>Where a format keeps the bytes of its storages.</summary>
internal interface IStorageSource
{
    /// <summary>
    /// Checks, before anything is read, that the file holds <paramref name="storage"/> as declared and that reading
    /// its first <paramref name="count"/> elements costs what they are (no entry inflated far past its size).
    /// </summary>
    /// <exception cref="CheckpointProblem">Missing, shorter than declared, or a decompression bomb.</exception>
    void Check(StorageRef storage, long count);

    /// <summary>
    /// A new 1-D CPU tensor of <paramref name="storage"/>'s dtype holding its first <paramref name="count"/> elements,
    /// filled from the file: only what the tensors reach is read, however large the storage says it is.
    /// </summary>
    Tensor Load(StorageRef storage, long count);
}
