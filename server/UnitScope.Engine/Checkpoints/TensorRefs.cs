namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// A storage named by a pickle's persistent id: <paramref name="Numel"/> elements of
/// <paramref name="Dtype"/> under <paramref name="Key"/> (a zip entry name or a legacy storage key).
/// A legacy view covers <see cref="StorageView.Numel"/> elements from <see cref="StorageView.Offset"/>.
/// </summary>
internal sealed record StorageRef(string Key, TorchDtype Dtype, long Numel, StorageView? View)
{
    /// <summary>Where this storage starts in its root, and how many elements it spans.</summary>
    public (long Start, long Numel) Span => View is { } v ? (v.Offset, v.Numel) : (0, Numel);
}

internal sealed record StorageView(string Key, long Offset, long Numel);

/// <summary>What torch._utils._rebuild_tensor_v2 was asked to build; nothing is read until it is needed.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride)
{
    public bool IsScalar => Size.Length == 0;
}
