using System.Buffers;
using System.Runtime.InteropServices;
using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>The dataset's concepts by id, and the category each belongs to (its primary one).</summary>
internal sealed class ConceptIndex
{
    public ConceptIndex(ISegmentationDataset data)
    {
        MaxId = Math.Max(data.MaxConceptId, data.Concepts.Count == 0 ? 0 : data.Concepts.Max(c => c.Id));
        var categories = new List<string>(data.Categories);
        foreach (var concept in data.Concepts)
            if (!categories.Contains(concept.Category, StringComparer.Ordinal))
                categories.Add(concept.Category);
        Categories = categories;
        ById = new Concept?[MaxId + 1];
        CategoryOf = Enumerable.Repeat(-1, MaxId + 1).ToArray();
        foreach (var concept in data.Concepts)
        {
            if (concept.Id <= 0)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"Concept '{concept.Name}' has id {concept.Id}: concept ids start at 1 (0 means unlabelled).");
            ById[concept.Id] = concept;
            CategoryOf[concept.Id] = categories.IndexOf(concept.Category);
        }
    }

    public int MaxId { get; }
    /// <summary>The dataset's categories, then any category only a concept names.</summary>
    public IReadOnlyList<string> Categories { get; }
    public Concept?[] ById { get; }
    /// <summary>Category index by concept id; −1 for ids that name no concept.</summary>
    public int[] CategoryOf { get; }
}

/// <summary>
/// One image's labels as dissection counts them: <see cref="Maps"/> (each at least <see cref="Pixels"/>
/// long; from <see cref="From"/>, pooled arrays) hold pixel labels with every
/// concept at most once per pixel (a pixel can still carry several concepts, from several maps), and
/// without the image-level labels (an image-level label already covers every pixel); ids that name no
/// concept are dropped. <see cref="PresentCategories"/>: the categories with any label in the image.
/// <see cref="ImageIndex"/> is the image's index in the dataset (a run's images need not be consecutive:
/// unreadable ones are left out).
/// </summary>
internal sealed record ImageLabels(int ImageIndex, int MaskHeight, int MaskWidth, int[][] Maps, int[] ImageLevel, int[] PresentCategories)
{
    public int Pixels => MaskHeight * MaskWidth;

    /// <summary>
    /// Checks and normalises <paramref name="sample"/>'s labels (see the record's comment) and adds
    /// each concept's area to <paramref name="labelArea"/> (by id: pixels, or the whole mask for an
    /// image-level label).
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument: a map of the wrong size, an id out of range.</exception>
    public static ImageLabels From(ProbeSample sample, int index, ConceptIndex concepts, long[] labelArea)
    {
        int height = sample.MaskHeight, width = sample.MaskWidth, pixels = height * width;
        if (height <= 0 || width <= 0)
            throw Bad(index, $"its mask size is {height}x{width}");

        var imageLevel = new List<int>();
        foreach (var (category, ids) in sample.ImageLabels)
            foreach (int id in ids)
            {
                CheckId(id, index, category, concepts);
                if (id != 0 && concepts.ById[id] is not null && !imageLevel.Contains(id)) imageLevel.Add(id);
            }
        imageLevel.Sort();

        var present = new bool[concepts.Categories.Count];
        var maps = new List<int[]>();
        foreach (var (category, categoryMaps) in sample.PixelLabels)
            foreach (var source in categoryMaps)
            {
                if (source.Length != pixels)
                    throw Bad(index, $"a '{category}' label map has {source.Length} values for a {height}x{width} mask");
                int[]? map = null;
                int previous = 0; // the last id seen and checked: runs of one label are checked once
                bool previousKept = false;
                for (int p = 0; p < source.Length; p++)
                {
                    int id = source[p];
                    if (id == 0) continue;
                    if (id != previous)
                    {
                        CheckId(id, index, category, concepts);
                        previous = id;
                        previousKept = concepts.ById[id] is not null && !imageLevel.Contains(id);
                    }
                    if (!previousKept || SeenBefore(maps, p, id)) continue;
                    if (map is null)
                    {
                        // Pooled: pass 1 returns them (Release) once written to the spill, so the loop
                        // beside the forward passes makes little garbage.
                        map = ArrayPool<int>.Shared.Rent(pixels);
                        Array.Clear(map, 0, pixels);
                    }
                    map[p] = id;
                    labelArea[id]++;
                    present[concepts.CategoryOf[id]] = true;
                }
                if (map is not null) maps.Add(map);
            }

        foreach (int id in imageLevel)
        {
            labelArea[id] += pixels;
            present[concepts.CategoryOf[id]] = true;
        }
        var presentCategories = Enumerable.Range(0, present.Length).Where(k => present[k]).ToArray();
        return new ImageLabels(index, height, width, [.. maps], [.. imageLevel], presentCategories);
    }

    static bool SeenBefore(List<int[]> maps, int pixel, int id)
    {
        foreach (var map in maps)
            if (map[pixel] == id) return true;
        return false;
    }

    static void CheckId(int id, int index, string category, ConceptIndex concepts)
    {
        if (id < 0 || id > concepts.MaxId)
            throw Bad(index, $"its '{category}' labels hold id {id}, outside 0–{concepts.MaxId}");
    }

    static UnitScopeException Bad(int index, string what) =>
        new(EngineErrorKind.InvalidArgument, $"Probe image {index} cannot be dissected: {what}.");

    /// <summary>
    /// Appends the labels to a spill as one record: its length in ints, then the image's index, mask height and width,
    /// image-level ids, present categories, and the maps run-length encoded ((value, run) pairs,
    /// row-major); every list prefixed by its length.
    /// </summary>
    public void WriteTo(BinaryWriter writer)
    {
        var record = new List<int>(64) { ImageIndex, MaskHeight, MaskWidth, ImageLevel.Length };
        record.AddRange(ImageLevel);
        record.Add(PresentCategories.Length);
        record.AddRange(PresentCategories);
        record.Add(Maps.Length);
        foreach (var map in Maps)
        {
            int runsAt = record.Count;
            record.Add(0);
            int length = Pixels;
            for (int start = 0; start < length;)
            {
                int value = map[start], end = start + 1;
                while (end < length && map[end] == value) end++;
                record.Add(value);
                record.Add(end - start);
                start = end;
            }
            record[runsAt] = (record.Count - runsAt - 1) / 2;
        }
        writer.Write(record.Count);
        writer.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(record)));
    }

    /// <summary>Gives the maps of a <see cref="From"/> result back to the pool; the labels are unusable after.</summary>
    public void Release()
    {
        foreach (var map in Maps) ArrayPool<int>.Shared.Return(map);
    }

    /// <summary>Reads the next record <see cref="WriteTo"/> wrote.</summary>
    public static ImageLabels ReadFrom(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        var buffer = ArrayPool<int>.Shared.Rent(length);
        try
        {
            var record = buffer.AsSpan(0, length);
            reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(record));
            int at = 0;
            int Next(Span<int> r) => r[at++];
            int imageIndex = Next(record), height = Next(record), width = Next(record);
            var imageLevel = record.Slice(at + 1, record[at]).ToArray();
            at += 1 + imageLevel.Length;
            var present = record.Slice(at + 1, record[at]).ToArray();
            at += 1 + present.Length;
            var maps = new int[Next(record)][];
            for (int m = 0; m < maps.Length; m++)
            {
                var map = maps[m] = new int[height * width];
                int runs = Next(record), position = 0;
                for (int r = 0; r < runs; r++)
                {
                    int value = record[at], run = record[at + 1];
                    at += 2;
                    if (value != 0) map.AsSpan(position, run).Fill(value);
                    position += run;
                }
            }
            return new ImageLabels(imageIndex, height, width, maps, imageLevel, present);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }
}
