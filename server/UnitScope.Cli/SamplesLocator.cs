using UnitScope.Engine;

namespace UnitScope.Cli;

/// <summary>
/// Finds the bundled samples folder (smallcnn.pth, smallcnn.classes.txt, images/*.png): --samples
/// when given; else <c>samples/</c> next to the executable (the build copies it there); else the
/// first <c>samples/</c> above the executable or the current folder (a repository checkout).
/// </summary>
public static class SamplesLocator
{
    public const string Checkpoint = "smallcnn.pth";

    public static string Find(string? explicitFolder)
    {
        if (explicitFolder is not null)
        {
            if (!File.Exists(Path.Combine(explicitFolder, Checkpoint)))
                throw new UnitScopeException(EngineErrorKind.FileNotFound,
                    $"--samples '{explicitFolder}' holds no {Checkpoint}: point it at the repository's samples/ folder.");
            return Path.GetFullPath(explicitFolder);
        }
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "samples");
                if (File.Exists(Path.Combine(candidate, Checkpoint)))
                    return candidate;
            }
        throw new UnitScopeException(EngineErrorKind.FileNotFound,
            $"The sample files ({Checkpoint} and images/) were not found next to the program or above the current folder; pass --samples DIR.");
    }

    /// <summary>The sample images, sorted by name.</summary>
    public static IReadOnlyList<string> Images(string samplesFolder)
    {
        var folder = Path.Combine(samplesFolder, "images");
        var images = Directory.Exists(folder)
            ? Directory.GetFiles(folder).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
                .OrderBy(f => f, StringComparer.Ordinal).ToList()
            : [];
        if (images.Count == 0)
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"No sample images in '{folder}'.");
        return images;
    }
}
