using System.Buffers.Binary;

namespace UnitScope.Engine.Checkpoints;

internal enum CheckpointKind { PyTorchZip, PyTorchLegacy, Safetensors, TorchSharpDat }

/// <summary>Tells checkpoint formats apart by their first bytes.</summary>
internal static class CheckpointSniffer
{
    /// <summary>
    /// Leaves the stream at position 0. TorchSharp's .dat has no magic number: it is recognised by
    /// walking its entries to the end of the file; <paramref name="extension"/> ".dat" makes a file
    /// that fails the walk report why, instead of "not a recognised checkpoint".
    /// </summary>
    public static CheckpointKind Sniff(Stream file, string? extension = null)
    {
        Span<byte> head = stackalloc byte[16];
        file.Position = 0;
        int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        file.Position = 0;

        if (n == 0)
            throw CheckpointProblem.Corrupt("the file is empty");
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2], head[3]) is (3, 4) or (5, 6))
            return CheckpointKind.PyTorchZip;
        if (n >= 9 && head[8] == '{' && BinaryPrimitives.ReadUInt64LittleEndian(head) > 0)
            return CheckpointKind.Safetensors;
        if (TorchSharpDatReader.Matches(file))
            return CheckpointKind.TorchSharpDat;
        if (string.Equals(extension, ".dat", StringComparison.OrdinalIgnoreCase) && TorchSharpDatReader.Problem(file) is { } problem)
            throw CheckpointProblem.Corrupt(problem);
        if (n >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5)
            return CheckpointKind.PyTorchLegacy; // a pickle: the legacy reader checks the magic number
        if (IsTar(file))
            throw CheckpointProblem.Corrupt("this is the tar-based torch.save format of PyTorch before 0.4; load and re-save it with a current PyTorch");
        // What the file holds is not quoted: the error may go to a remote client, and the file may be anyone's.
        throw CheckpointProblem.Corrupt(
            "not a recognised checkpoint (expected a PyTorch zip or legacy pickle, safetensors, or a TorchSharp .dat)");
    }

    static bool IsTar(Stream file)
    {
        Span<byte> magic = stackalloc byte[5];
        if (file.Length < 262)
            return false;
        file.Position = 257;
        file.ReadExactly(magic);
        file.Position = 0;
        return magic.SequenceEqual("ustar"u8);
    }
}
