using UnitScope.Engine;
using UnitScope.Engine.Imaging;

namespace UnitScope.Cli;

/// <summary>Model and image loading for commands, off the calling thread so Ctrl-C is honoured.</summary>
static class Sessions
{
    public static async Task<ModelSession> LoadAsync(CliContext cli, string checkpoint, ModelOptions options, CancellationToken ct)
    {
        cli.Info($"Loading {checkpoint} …");
        ModelSession session;
        try
        {
            session = await Background(() => ModelSession.Load(checkpoint, options), ct);
        }
        catch (UnitScopeException e)
        {
            throw ModelOptionSet.InCliTerms(e);
        }
        try
        {
            // The Engine checks this too; doing it here makes every command (even `layers`) report a
            // --mean/--std that does not fit the model before doing anything else.
            if (!session.IsGenerator)
                ImageTensor.Validate(session.Input);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        cli.Info($"{session.Architecture} on {session.DeviceName}, input {session.Input.Channels}x{session.Input.Height}x{session.Input.Width}.");
        if (session.AvoidsOneDnn)
            cli.Info(OneDnnNote);
        if (session.IsGenerator)
        {
            cli.Info($"A generator: latent vectors of {session.LatentSize} numbers in, images out.");
            return session;
        }
        var preprocessing = session.Preprocessing(null);
        cli.Info($"Images: {preprocessing.Summary}.");
        foreach (string warning in preprocessing.Warnings)
            cli.Warn(warning);
        return session;
    }

    /// <summary>Said when a model runs without oneDNN (Engine's OneDnnConvolutions): slower, and why.</summary>
    public const string OneDnnNote =
        "This CPU's oneDNN computes some of this model's convolutions wrong (odd channel counts): they run on libtorch's own convolutions instead.";

    public static Task<RgbImage> LoadImageAsync(string path, CancellationToken ct) => Background(() => ImageFile.Load(path), ct);

    /// <summary>Runs synchronous Engine work on the thread pool; cancellation abandons it (the process is about to exit).</summary>
    public static Task<T> Background<T>(Func<T> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.Run(work, ct).WaitAsync(ct);
    }

    /// <summary>The parent folder of <paramref name="path"/> is created; write failures become user errors.</summary>
    public static void WriteFile(string path, byte[] bytes)
    {
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            File.WriteAllBytes(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Cannot write '{path}': {e.Message}", e);
        }
    }
}
