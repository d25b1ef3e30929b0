using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// Writes tensors as safetensors (the format <see cref="SafetensorsReader"/> reads, and PyTorch's
/// `safetensors.torch.load_file` too): the checkpoints UnitScope makes itself, e.g. the demo model.
/// Written to a temporary file and renamed, so a crash never leaves a half-written checkpoint.
/// </summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.Select(t => (t.Key, Tensor: t.Value.detach().cpu().contiguous())).ToList();
        try
        {
            var header = new Dictionary<string, object>();
            if (metadata is { Count: > 0 })
                header["__metadata__"] = metadata;
            long offset = 0;
            foreach (var (name, tensor) in entries)
            {
                var dtype = TorchDtype.All.FirstOrDefault(d => d.ScalarType == tensor.dtype)
                    ?? throw new ArgumentException($"Cannot write {name}: dtype {tensor.dtype} has no safetensors code.");
                long bytes = tensor.NumberOfElements * dtype.ElementSize;
                header[name] = new { dtype = dtype.SafetensorsCode, shape = tensor.shape, data_offsets = new[] { offset, offset + bytes } };
                offset += bytes;
            }
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
            int padding = (8 - json.Length % 8) % 8; // data starts 8-byte aligned, as the reference writer does

            string temp = path + ".tmp-" + Environment.ProcessId;
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
                file.Write(length);
                file.Write(json);
                for (int i = 0; i < padding; i++) file.WriteByte((byte)' ');
                foreach (var (_, tensor) in entries)
                    tensor.WriteBytesToStream(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            foreach (var (_, tensor) in entries) tensor.Dispose();
        }
    }
}
