using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using TorchSharp;
using UnitScope.Engine.Runtime;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// The one entry point for reading weights: recognises a checkpoint by its content (not its
/// extension) and returns its state_dict on the CPU. Every failure is a
/// <see cref="UnitScopeException"/> naming the file: FileNotFound, CorruptCheckpoint (with what was
/// wrong) or UnsafeCheckpoint (a pickle naming a global outside the allow-list). No pickle code runs.
/// </summary>
public static class CheckpointReader
{
    /// <summary>Reads a PyTorch zip or legacy checkpoint (.pt/.pth/.tar …), a safetensors file or a TorchSharp .dat (<c>Module.save</c>).</summary>
    /// <exception cref="OperationCanceledException">At the next read of the file once <paramref name="cancellationToken"/> is cancelled.</exception>
    public static StateDict Read(string path, CancellationToken cancellationToken = default) => Read(path, cancellationToken, beforeWeights: null);

    /// <summary>
    /// What the checkpoint declares (tensor names and shapes, scalar entries), with every size checked against the
    /// file and the budget, and no weight read: enough to choose an architecture and see that the checkpoint fits it
    /// before <see cref="Read(string, CancellationToken)"/> reads (or inflates) gigabytes.
    /// </summary>
    /// <exception cref="UnitScopeException">As <see cref="Read(string, CancellationToken)"/>.</exception>
    public static CheckpointOutline ReadOutline(string path, CancellationToken cancellationToken = default)
    {
        CheckpointOutline? outline = null;
        try
        {
            Read(path, cancellationToken, o =>
            {
                outline = o;
                throw new OutlineRead();
            }).Dispose();
        }
        catch (OutlineRead)
        {
        }
        return outline ?? throw new InvalidOperationException("A checkpoint reader returned without showing its outline.");
    }

    /// <summary>Stops a read once the outline is known (nothing else throws it).</summary>
    sealed class OutlineRead : Exception;

    /// <param name="beforeWeights">Shown what the file declares once its framing and sizes have been checked and before
    /// any weight is read or inflated; it may throw to stop the read.</param>
    static StateDict Read(string path, CancellationToken cancellationToken, Action<CheckpointOutline>? beforeWeights)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = Open(path, cancellationToken);
        TorchRuntime.EnsureLoaded();
        try
        {
            using var scope = torch.NewDisposeScope();
            return CheckpointSniffer.Sniff(file, Path.GetExtension(path)) switch
            {
                CheckpointKind.PyTorchZip => TorchZipReader.Read(file, beforeWeights),
                CheckpointKind.PyTorchLegacy => TorchLegacyReader.Read(file, beforeWeights),
                CheckpointKind.Safetensors => SafetensorsReader.Read(file, beforeWeights),
                CheckpointKind.TorchSharpDat => TorchSharpDatReader.Read(file, beforeWeights),
                _ => throw new InvalidOperationException("unreachable"),
            };
        }
        catch (CheckpointProblem p)
        {
            throw new UnitScopeException(p.Kind, $"Cannot read checkpoint {path}: {p.Message}.", p);
        }
        catch (ExternalException e)
        {
            // libtorch refused an allocation or view the checks above let through (e.g. out of memory).
            throw new UnitScopeException(EngineErrorKind.CorruptCheckpoint,
                $"Cannot read checkpoint {path}: libtorch could not build its tensors ({e.Message.TrimEnd('.')}).", e);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException
                                      or JsonException or OverflowException or FormatException or ArgumentException)
        {
            throw new UnitScopeException(EngineErrorKind.CorruptCheckpoint,
                $"Cannot read checkpoint {path}: the file is damaged or truncated ({e.Message.TrimEnd('.')}).", e);
        }
    }

    /// <summary>SHA-256 of the file's bytes, lower-case hex: a checkpoint's identity for caching. Streams the file.</summary>
    /// <exception cref="OperationCanceledException">Within one buffer of <paramref name="cancellationToken"/> being cancelled.</exception>
    public static string ComputeHash(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = Open(path, cancellationToken);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    /// <summary>A regular file only (a FIFO would block, /dev/zero never end), read with cancellation.</summary>
    static Stream Open(string path, CancellationToken cancellationToken) =>
        new CancellableReadStream(
            UserFile.Read(path, p => new FileStream(p, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16),
                $"Checkpoint file not found: {path}", reason => $"Cannot open checkpoint file {path}: {reason}"),
            cancellationToken);
}
