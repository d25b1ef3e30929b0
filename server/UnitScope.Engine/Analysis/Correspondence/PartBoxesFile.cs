using System.Text.Json;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Analysis.Correspondence;

/// <summary>
/// The file that gives correspondence its images and part boxes, shared by the CLI and the daemon:
/// <code>
/// {"images": [
///   {"path": "dog1.jpg", "boxes": {"left eye": [x, y, width, height], "nose": [x, y, width, height]}},
///   {"path": "dog2.jpg", "boxes": {"left eye": [x, y, width, height]}}
/// ]}
/// </code>
/// Paths are relative to the file's folder (or absolute); boxes are whole pixels of the image file, x to the right
/// and y down from its top-left corner. An image needs no box for every part; a part needs boxes in at least two images.
/// </summary>
public static class PartBoxesFile
{
    /// <summary>Reads the file and decodes its images; every box is checked against its image.</summary>
    /// <exception cref="UnitScopeException">FileNotFound (the file or an image), BadImage, InvalidArgument (malformed
    /// JSON, a missing path, a box that is not four whole numbers, a box outside its image), naming the entry.</exception>
    public static IReadOnlyList<PartImage> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        var bytes = UserFile.ReadAllBytes(full, "Part boxes file");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw Invalid(full, $"is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("images", out var list) || list.ValueKind != JsonValueKind.Array)
                throw Invalid(full, "needs an object with an \"images\" array: {\"images\": [{\"path\": \"a.jpg\", \"boxes\": {\"part\": [x, y, width, height]}}]}.");
            var folder = Path.GetDirectoryName(full)!;
            var images = new List<PartImage>();
            int index = 0;
            foreach (var entry in list.EnumerateArray())
            {
                index++;
                string where = $"image {index}";
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("path", out var p) || p.ValueKind != JsonValueKind.String
                    || string.IsNullOrWhiteSpace(p.GetString()))
                    throw Invalid(full, $"{where} has no \"path\" (a string).");
                string name = p.GetString()!.Trim();
                var boxes = new Dictionary<string, Box>(StringComparer.Ordinal);
                if (entry.TryGetProperty("boxes", out var b))
                {
                    if (b.ValueKind != JsonValueKind.Object)
                        throw Invalid(full, $"{where} ({name}): \"boxes\" must be an object of part names to [x, y, width, height].");
                    foreach (var part in b.EnumerateObject())
                        boxes[part.Name] = ReadBox(full, name, part);
                }
                var image = ImageFile.Load(Path.IsPathRooted(name) ? name : Path.Combine(folder, name));
                images.Add(new PartImage(name, image, boxes));
            }
            return images;
        }
    }

    static Box ReadBox(string file, string image, JsonProperty part)
    {
        var v = part.Value;
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 4
            || v.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out _)))
            throw Invalid(file, $"image {image}: the box of '{part.Name}' must be four whole numbers [x, y, width, height], not {v.GetRawText()}.");
        var n = v.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return new Box(n[0], n[1], n[2], n[3]);
    }

    static UnitScopeException Invalid(string file, string problem) => new(EngineErrorKind.InvalidArgument, $"Part boxes file '{file}' {problem}");
}
