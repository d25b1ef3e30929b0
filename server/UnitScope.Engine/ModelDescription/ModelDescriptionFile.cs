using System.Globalization;
using System.Text;
using System.Text.Json;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.ModelDescription;

/// <summary>
/// Reads and writes <c>NAME.unitscope.json</c>. Reading is strict: a field of the wrong shape, an
/// unknown field (a typo would otherwise be ignored silently) or a missing class-names file is an
/// InvalidArgument error that names the file and the field.
/// </summary>
public static class ModelDescriptionFile
{
    public const string Suffix = ".unitscope.json";

    static readonly string[] Fields = ["architecture", "inputSize", "mean", "std", "resize", "centerCrop", "interpolation", "classNames", "classNamesFile"];

    static readonly JsonDocumentOptions ParseOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 8,
    };

    /// <summary>"model.onnx" → "model.unitscope.json" (beside it).</summary>
    public static string PathFor(string modelPath) => Path.ChangeExtension(Path.GetFullPath(modelPath), Suffix);

    /// <summary>The description beside <paramref name="modelPath"/>, or null when it has none.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument: the file is malformed.</exception>
    public static Description? ReadBeside(string modelPath)
    {
        string path = PathFor(modelPath);
        return File.Exists(path) ? Read(path) : null;
    }

    /// <exception cref="UnitScopeException">FileNotFound; InvalidArgument naming the field that is wrong.</exception>
    public static Description Read(string path)
    {
        path = Path.GetFullPath(path);
        string text = UserFile.Read(path, p => File.ReadAllText(p, Encoding.UTF8),
            $"Model description not found: {path}", reason => $"Cannot read model description {path}: {reason}");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, ParseOptions);
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"it is not valid JSON ({e.Message.TrimEnd('.')})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid(path, "it must be a JSON object, e.g. { \"inputSize\": [224, 224] }");
            foreach (var property in root.EnumerateObject())
                if (!Fields.Contains(property.Name, StringComparer.Ordinal) && !property.Name.StartsWith('$'))
                    throw Invalid(path, $"unknown field '{property.Name}'{Suggest(property.Name)}; the fields are {string.Join(", ", Fields)}");

            var description = new Description
            {
                Architecture = Optional(root, "architecture", e => e.ValueKind == JsonValueKind.String && e.GetString()!.Trim().Length > 0
                    ? e.GetString()!.Trim() : throw Field(path, "architecture", "a name such as \"resnet18\"", e)),
                InputSize = Optional(root, "inputSize", e => Size(path, "inputSize", e, 8192)),
                Mean = Optional(root, "mean", e => Channels(path, "mean", e, positive: false)),
                Std = Optional(root, "std", e => Channels(path, "std", e, positive: true)),
                Resize = OptionalValue(root, "resize", e => Resize(path, e)),
                CenterCrop = Optional(root, "centerCrop", e => Size(path, "centerCrop", e, ImageFolderOptions.MaxSide)),
                Interpolation = OptionalValue(root, "interpolation", e => e.ValueKind == JsonValueKind.String && ResamplingNames.Parse(e.GetString()) is { } r
                    ? r : throw Field(path, "interpolation", $"one of {ResamplingNames.Listed} (torchvision's names)", e)),
                ClassNames = Optional(root, "classNames", e => e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0
                    && e.EnumerateArray().All(n => n.ValueKind == JsonValueKind.String)
                    ? e.EnumerateArray().Select(n => n.GetString()!).ToList()
                    : throw Field(path, "classNames", "a non-empty array of strings", e)),
                ClassNamesFile = Optional(root, "classNamesFile", e => e.ValueKind == JsonValueKind.String && e.GetString()!.Trim().Length > 0
                    ? e.GetString()!.Trim() : throw Field(path, "classNamesFile", "a file name such as \"classes.txt\"", e)),
            };
            if (description.Mean is { } mean && description.Std is { } std && mean.Length != std.Length)
                throw Invalid(path, $"'mean' has {mean.Length} values and 'std' {std.Length}: give one per input channel in both");
            if (description.ClassNamesFile is { } file)
            {
                if (description.ClassNames is not null)
                    throw Invalid(path, "give either 'classNames' or 'classNamesFile', not both");
                description = description with { ClassNames = ReadClassNames(path, file) };
            }
            return description;
        }
    }

    /// <summary>
    /// Writes <paramref name="description"/> to <paramref name="path"/> (normally
    /// <see cref="PathFor"/> of the model) atomically: a temporary file beside it, then a rename.
    /// With <see cref="Description.ClassNamesFile"/> set, the names stay in that file.
    /// </summary>
    public static void Write(string path, Description description)
    {
        ArgumentNullException.ThrowIfNull(description);
        path = Path.GetFullPath(path);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            if (description.Architecture is { } architecture) json.WriteString("architecture", architecture);
            if (description.InputSize is { } size) WriteArray(json, "inputSize", size.Select(v => (double)v));
            if (description.Mean is { } mean) WriteArray(json, "mean", mean.Select(v => (double)v));
            if (description.Std is { } std) WriteArray(json, "std", std.Select(v => (double)v));
            if (description.Resize is { } resize) json.WriteNumber("resize", resize);
            if (description.CenterCrop is { } crop)
            {
                json.WriteStartArray("centerCrop");
                foreach (int v in crop) json.WriteNumberValue(v);
                json.WriteEndArray();
            }
            if (description.Interpolation is { } interpolation) json.WriteString("interpolation", interpolation.Name());
            if (description.ClassNamesFile is { } file) json.WriteString("classNamesFile", file);
            else if (description.ClassNames is { } names)
            {
                json.WriteStartArray("classNames");
                foreach (string name in names) json.WriteStringValue(name);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        string temporary = path + $".{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllBytes(temporary, buffer.ToArray());
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    static void WriteArray(Utf8JsonWriter json, string name, IEnumerable<double> values)
    {
        json.WriteStartArray(name);
        foreach (double v in values)
        {
            // float → shortest text that reads back to the same float (0.485, not 0.48500001430511475)
            json.WriteRawValue(((float)v).ToString("R", CultureInfo.InvariantCulture));
        }
        json.WriteEndArray();
    }

    static T? Optional<T>(JsonElement root, string name, Func<JsonElement, T> read) where T : class =>
        root.TryGetProperty(name, out var element) && element.ValueKind != JsonValueKind.Null ? read(element) : null;

    static T? OptionalValue<T>(JsonElement root, string name, Func<JsonElement, T> read) where T : struct =>
        root.TryGetProperty(name, out var element) && element.ValueKind != JsonValueKind.Null ? read(element) : null;

    /// <summary>[height, width] (or one number for a square), each 1–<paramref name="max"/>.</summary>
    static int[] Size(string path, string field, JsonElement e, int max)
    {
        string wanted = $"[height, width] in pixels (or one number for a square), each 1–{max}";
        int[]? size = e.ValueKind switch
        {
            JsonValueKind.Number when e.TryGetInt32(out int s) => [s, s],
            JsonValueKind.Array when e.GetArrayLength() is 1 or 2 && e.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out _)) =>
                e.GetArrayLength() == 1 ? [e[0].GetInt32(), e[0].GetInt32()] : [e[0].GetInt32(), e[1].GetInt32()],
            _ => null,
        };
        return size is not null && size.All(v => v >= 1 && v <= max) ? size : throw Field(path, field, wanted, e);
    }

    /// <summary>One number: torchvision's <c>Resize(int)</c> (an exact [height, width] is what <c>inputSize</c> does).</summary>
    static int Resize(string path, JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int side) && side is >= 1 and <= ImageFolderOptions.MaxSide)
            return side;
        string wanted = $"one whole number, the shorter side in pixels (1–{ImageFolderOptions.MaxSide}), as torchvision's Resize(256)" +
            (e.ValueKind == JsonValueKind.Array ? " (to resize to an exact [height, width], give 'inputSize')" : "");
        throw Field(path, "resize", wanted, e);
    }

    static float[] Channels(string path, string name, JsonElement e, bool positive)
    {
        string wanted = $"an array of 1 to 4 numbers{(positive ? " above 0" : "")}, one per input channel, in [0, 1] units";
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() is < 1 or > 4
            || !e.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number))
            throw Field(path, name, wanted, e);
        float[] values = [.. e.EnumerateArray().Select(v => (float)v.GetDouble())];
        if (!values.All(v => float.IsFinite(v) && (!positive || v > 0)))
            throw Field(path, name, wanted, e);
        return NormalisationScale.Problem(values, isStd: positive) is { } problem
            ? throw Invalid(path, $"'{name}' {e.GetRawText()} {problem}")
            : values;
    }

    static IReadOnlyList<string> ReadClassNames(string descriptionPath, string file)
    {
        string folder = Path.GetDirectoryName(descriptionPath)!;
        string full = Path.GetFullPath(Path.Combine(folder, file));
        if (!File.Exists(full))
            throw Invalid(descriptionPath, $"'classNamesFile' names {file}, which does not exist (looked for {full})");
        var names = UserFile.Read(full, File.ReadAllLines, $"Class names file not found: {full}", reason => $"Cannot read class names file {full}: {reason}")
            .Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return names.Count > 0 ? names : throw Invalid(descriptionPath, $"'classNamesFile' {file} has no names in it");
    }

    static string Suggest(string name)
    {
        // "inputsize", "input_size", "classes", "centre-crop", "center_crop" …
        string loose = name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal)
            .Replace("centre", "center", StringComparison.OrdinalIgnoreCase);
        string? close = Fields.FirstOrDefault(f => string.Equals(f, loose, StringComparison.OrdinalIgnoreCase)
            || string.Equals(f.Replace("Names", "es"), loose, StringComparison.OrdinalIgnoreCase));
        return close is null ? "" : $" (did you mean '{close}'?)";
    }

    static UnitScopeException Field(string path, string field, string wanted, JsonElement got)
    {
        string text = got.GetRawText();
        if (text.Length > 60) text = text[..57] + "...";
        return Invalid(path, $"'{field}' must be {wanted}; got {text}");
    }

    static UnitScopeException Invalid(string path, string what) =>
        new(EngineErrorKind.InvalidArgument, $"Model description {path}: {what}.");
}
