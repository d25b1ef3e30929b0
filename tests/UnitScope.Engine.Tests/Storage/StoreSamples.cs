using UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Engine.Tests.Storage;

/// <summary>Hand-made dissection results and scratch cache folders for the store's tests.</summary>
static class StoreSamples
{
    public const string Checkpoint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    public const string Dataset = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    public static LayerDissection Layer(string layer = "features.8", string checkpoint = Checkpoint, string dataset = Dataset,
        DissectionOptions? options = null, int units = 4)
    {
        var unitList = Enumerable.Range(0, units).Select(u =>
        {
            var best = new ConceptScore(u + 1, $"concept{u}", u % 2 == 0 ? "object" : "color", 0.02 + 0.03 * u);
            return new UnitDissection(
                u,
                Threshold: 0.5f + u,
                Label: best.Iou > 0.04 ? best : null,
                Best: best,
                BestPerCategory: [best, new ConceptScore(99, "sky", "scene", 0.01)],
                TopImages: [new TopImage(u, 3.5f), new TopImage(u + 10, float.NaN)]);
        }).ToList();
        var counts = unitList.Where(u => u.Label is not null).GroupBy(u => u.Label!.Category).ToDictionary(g => g.Key, g => g.Count());
        return new LayerDissection(layer, checkpoint, dataset, options ?? new DissectionOptions(), ImageCount: 20, unitList, counts);
    }

    /// <summary>A fresh empty folder under the temp folder, removed on dispose.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "unitscope-store-" + Guid.NewGuid().ToString("N"));

        public TempFolder() => Directory.CreateDirectory(Path);

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
