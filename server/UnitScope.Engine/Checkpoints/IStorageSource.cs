using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>Where a format keeps the bytes of its storages.</summary>
internal interface IStorageSource
{
    /// <summary>A new 1-D CPU tensor of <paramref name="storage"/>'s dtype and size, filled from the file.</summary>
    Tensor Load(StorageRef storage);
}
