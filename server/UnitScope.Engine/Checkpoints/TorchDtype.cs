using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>One element type a checkpoint can hold, under the names each format gives it.</summary>
internal sealed record TorchDtype(ScalarType ScalarType, int ElementSize, string StorageName, string SafetensorsCode, string Name)
{
    public static readonly IReadOnlyList<TorchDtype> All =
    [
        new(ScalarType.Float32, 4, "FloatStorage", "F32", "float32"),
        new(ScalarType.Float64, 8, "DoubleStorage", "F64", "float64"),
        new(ScalarType.Float16, 2, "HalfStorage", "F16", "float16"),
        new(ScalarType.BFloat16, 2, "BFloat16Storage", "BF16", "bfloat16"),
        new(ScalarType.Int64, 8, "LongStorage", "I64", "int64"),
        new(ScalarType.Int32, 4, "IntStorage", "I32", "int32"),
        new(ScalarType.Int16, 2, "ShortStorage", "I16", "int16"),
        new(ScalarType.Int8, 1, "CharStorage", "I8", "int8"),
        new(ScalarType.Byte, 1, "ByteStorage", "U8", "uint8"),
        new(ScalarType.Bool, 1, "BoolStorage", "BOOL", "bool"),
    ];

    /// <summary>The pickled storage class name (torch.FloatStorage …), or null if not one we read.</summary>
    public static TorchDtype? FromStorageName(string name) => All.FirstOrDefault(d => d.StorageName == name);

    public static TorchDtype? FromSafetensorsCode(string code) => All.FirstOrDefault(d => d.SafetensorsCode == code);

    public static string SupportedList => string.Join(", ", All.Select(d => d.Name));
}
