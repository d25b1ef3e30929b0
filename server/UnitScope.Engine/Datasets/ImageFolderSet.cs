using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Datasets;

/// <summary>
/// How an image folder's images are sized before <see cref="ImageTensor"/> turns them into model input
/// (which resizes to the model's input size only when the size differs, then normalises with the model's
/// mean/std: ImageNet's by default). With nothing set, images go to <see cref="ImageTensor"/> as decoded
/// (torchvision <c>Resize((H, W))</c>, aspect ratio not kept). The torchvision ImageNet evaluation pipeline
/// <c>Resize(256)</c>, <c>CenterCrop(224)</c> is <see cref="ImageNetEval"/>(224). A model's description file
/// can save them (<c>"resize"</c>, <c>"centerCrop"</c>): <see cref="ModelSession.ImageFolderDefaults"/>, which
/// options given explicitly override (<see cref="WithDefaults"/>). Single images are sized the same way
/// (<see cref="ModelSession.SizeImage"/>).
/// </summary>
public sealed record ImageFolderOptions
{
    /// <summary>Resize so the shorter side has this many pixels, keeping the aspect ratio (torchvision
    /// <c>Resize(int)</c>: the longer side becomes ⌊size · long / short⌋); null: no such resize.</summary>
    public int? ResizeShorterSide { get; init; }

    /// <summary>Then cut the centre <c>CropHeight × CropWidth</c> (torchvision <c>CenterCrop</c>: offsets
    /// round((side − crop) / 2), half to even; an image smaller than the crop is padded with black); null: no crop.</summary>
    public int? CropHeight { get; init; }
    public int? CropWidth { get; init; }

    /// <summary>How the resize samples (torchvision's <c>interpolation</c>, done as PIL does); null: bilinear,
    /// torchvision's default.</summary>
    public Resampling? Resampling { get; init; }

    /// <summary>The largest resize or crop side, in pixels.</summary>
    public const int MaxSide = 16384;

    /// <summary>Resize(round(size · 256 / 224)) then CenterCrop(size), as torchvision's ImageNet evaluation does.</summary>
    public static ImageFolderOptions ImageNetEval(int size) =>
        new() { ResizeShorterSide = (int)Math.Round(size * 256.0 / 224.0), CropHeight = size, CropWidth = size };

    /// <exception cref="UnitScopeException">InvalidArgument naming the setting.</exception>
    public void Validate()
    {
        if (ResizeShorterSide is < 1 or > MaxSide)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The resize size must be 1 to {MaxSide} pixels, not {ResizeShorterSide}.");
        if (CropHeight is < 1 or > MaxSide || CropWidth is < 1 or > MaxSide)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The crop size must be 1 to {MaxSide} pixels, not {CropHeight}x{CropWidth}.");
        if ((CropHeight is null) != (CropWidth is null))
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, "Give both the crop height and width, or neither.");
    }

    /// <summary>True when neither a resize nor a crop is set (images go to the model as decoded).</summary>
    public bool IsEmpty => ResizeShorterSide is null && CropHeight is null && CropWidth is null;

    /// <summary>
    /// These options, with <paramref name="defaults"/>'s resize where these set none and its crop where these
    /// set none (each setting on its own): explicit options (CLI flags) over a model's saved ones
    /// (<see cref="ModelSession.ImageFolderDefaults"/>, from its description file).
    /// </summary>
    public ImageFolderOptions WithDefaults(ImageFolderOptions? defaults)
    {
        if (defaults is null) return this;
        bool crop = CropHeight is not null || CropWidth is not null;
        return new ImageFolderOptions
        {
            ResizeShorterSide = ResizeShorterSide ?? defaults.ResizeShorterSide,
            CropHeight = crop ? CropHeight : defaults.CropHeight,
            CropWidth = crop ? CropWidth : defaults.CropWidth,
            Resampling = Resampling ?? defaults.Resampling,
        };
    }

    /// <summary>"resize 256, centre crop 224x224", "resize 256 (bicubic)", "centre crop 32x32", or "as decoded".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (ResizeShorterSide is { } side)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"resize {side}{(Resampling is { } r ? $" ({r.Name()})" : "")}"));
        if (CropHeight is { } h && CropWidth is { } w) parts.Add(string.Create(CultureInfo.InvariantCulture, $"centre crop {h}x{w}"));
        return parts.Count == 0 ? "as decoded" : string.Join(", ", parts);
    }

    /// <summary>The image resized and cropped as set (the same instance when nothing is set).</summary>
    public RgbImage Apply(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (ResizeShorterSide is { } side)
        {
            int w = image.Width, h = image.Height;
            var (nw, nh) = w <= h ? (side, (int)((long)side * h / w)) : ((int)((long)side * w / h), side);
            image = ImageResize.Resize(image, Math.Max(1, nw), Math.Max(1, nh), Resampling ?? Imaging.Resampling.Bilinear);
        }
        if (CropHeight is { } ch && CropWidth is { } cw && (ch != image.Height || cw != image.Width))
            image = CenterCrop(image, ch, cw);
        return image;
    }

    static RgbImage CenterCrop(RgbImage image, int height, int width)
    {
        int top = (int)Math.Round((image.Height - height) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((image.Width - width) / 2.0, MidpointRounding.ToEven);
        int c = image.Channels;
        var pixels = new byte[height * width * c];
        for (int y = 0; y < height; y++)
        {
            int sy = y + top;
            if (sy < 0 || sy >= image.Height) continue;
            int x0 = Math.Max(0, -left), x1 = Math.Min(width, image.Width - left);
            if (x1 <= x0) continue;
            Array.Copy(image.Pixels, (sy * image.Width + x0 + left) * c, pixels, (y * width + x0) * c, (x1 - x0) * c);
        }
        return new RgbImage(width, height, c, pixels);
    }

    internal string Canonical() => string.Create(CultureInfo.InvariantCulture,
        $"resize:{ResizeShorterSide?.ToString(CultureInfo.InvariantCulture) ?? "none"}\ncrop:{(CropHeight is { } h ? $"{h}x{CropWidth}" : "none")}\n" +
        $"resampling:{(Resampling ?? Imaging.Resampling.Bilinear).Name()}\n");
}

/// <summary>
/// An evaluation set laid out as torchvision's <c>ImageFolder</c>: <c>ROOT/CLASS/…/IMAGE</c>, one folder per
/// class. Classes are the folder names sorted ordinally (as Python sorts strings), class i the i-th; images
/// are the files under each class folder (subfolders included) ending in .jpg, .jpeg, .png, .bmp or .webp
/// (any case), folder by folder in path order and each folder's files by name (as torchvision's sorted
/// <c>os.walk</c>), classes in order. Names starting with '.' (hidden files and folders) are
/// skipped. Images are decoded by <see cref="ImageFile"/> when loaded, then sized by the
/// <see cref="ImageFolderOptions"/>.
/// <para><see cref="ContentHash"/> is SHA-256 over the options and, for every image, its relative path, size
/// in bytes and last-write time: the bytes are not read (a large set would take minutes), so an image
/// replaced in place with the same size and time keeps the hash.</para>
/// </summary>
public sealed class ImageFolderSet : IEvaluationSet
{
    /// <summary>File name endings taken as images (compared case-insensitively).</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp"];

    readonly (string Path, int Class)[] _images;
    readonly ImageFolderOptions _options;

    ImageFolderSet(string root, IReadOnlyList<string> classes, (string, int)[] images, ImageFolderOptions options, string hash)
    {
        Root = root;
        ClassNames = classes;
        _images = images;
        _options = options;
        ContentHash = hash;
    }

    public string Root { get; }
    public string Name => Root;
    public string ContentHash { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Count => _images.Length;
    public ImageFolderOptions Options => _options;

    /// <summary>The image files, in the set's order.</summary>
    public IEnumerable<string> ImagePaths => _images.Select(i => i.Path);

    public int ClassOf(int index) => _images[index].Class;

    /// <summary>Lists the folder's classes and images (nothing is decoded yet).</summary>
    /// <exception cref="UnitScopeException">FileNotFound for a missing folder; InvalidArgument for a folder without
    /// class folders, or class folders without images (named); the options' errors.</exception>
    public static ImageFolderSet Open(string folder, ImageFolderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= new ImageFolderOptions();
        options.Validate();
        string root = Path.GetFullPath(folder);
        if (File.Exists(root))
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"'{root}' is a file: an image folder holds one folder per class, each with that class's images.");
        if (!Directory.Exists(root))
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"Image folder not found: '{root}'.");

        string[] classes;
        try
        {
            classes = [.. Directory.EnumerateDirectories(root).Select(Path.GetFileName).OfType<string>()
                .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"Image folder '{root}' cannot be read: {e.Message}", e);
        }
        if (classes.Length == 0)
        {
            bool loose = Directory.EnumerateFiles(root).Any(IsImage);
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Image folder '{root}' has no class folders{(loose ? " (its images lie directly in it)" : " and no images")}: " +
                "put each class's images in a folder named after the class, e.g. ROOT/cat/1.jpg, ROOT/dog/2.png.");
        }

        var images = new List<(string, int)>();
        var empty = new List<string>();
        var hash = new StringBuilder("unitscope/imagefolder/v2\n").Append(options.Canonical());
        for (int c = 0; c < classes.Length; c++)
        {
            var files = ImagesUnder(Path.Combine(root, classes[c]));
            if (files.Count == 0) empty.Add(classes[c]);
            foreach (string file in files)
            {
                images.Add((file, c));
                var info = new FileInfo(file);
                string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                hash.Append(c.ToString(CultureInfo.InvariantCulture)).Append(':').Append(relative.Length.ToString(CultureInfo.InvariantCulture))
                    .Append(':').Append(relative).Append(':').Append(info.Length.ToString(CultureInfo.InvariantCulture))
                    .Append(':').Append(info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        if (empty.Count > 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Image folder '{root}': {(empty.Count == 1 ? "class folder" : "class folders")} {string.Join(", ", empty.Take(10).Select(e => $"'{e}'"))}" +
                $"{(empty.Count > 10 ? $" and {empty.Count - 10} more" : "")} {(empty.Count == 1 ? "has" : "have")} no images " +
                $"({string.Join(", ", Extensions)}).");
        string digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hash.ToString())));
        return new ImageFolderSet(root, classes, [.. images], options, digest);
    }

    public string ImageName(int index) => _images[index].Path;

    public EvaluationSample Load(int index)
    {
        var (path, cls) = _images[index];
        return new EvaluationSample(index, path, _options.Apply(ImageFile.Load(path)), cls);
    }

    static bool IsImage(string path)
    {
        string name = Path.GetFileName(path);
        return !name.StartsWith('.') && Extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Image files under <paramref name="folder"/> and its subfolders (hidden ones skipped).</summary>
    static List<string> ImagesUnder(string folder)
    {
        var found = new List<string>();
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            try
            {
                found.AddRange(Directory.EnumerateFiles(dir).Where(IsImage));
                foreach (string sub in Directory.EnumerateDirectories(dir))
                    if (!Path.GetFileName(sub).StartsWith('.'))
                        pending.Push(sub);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UnitScopeException(EngineErrorKind.FileNotFound, $"Image folder '{dir}' cannot be read: {e.Message}", e);
            }
        }
        // As torchvision: folders in path order (sorted os.walk), each folder's files by name.
        return [.. found.OrderBy(f => Path.GetDirectoryName(f), StringComparer.Ordinal).ThenBy(Path.GetFileName, StringComparer.Ordinal)];
    }
}
