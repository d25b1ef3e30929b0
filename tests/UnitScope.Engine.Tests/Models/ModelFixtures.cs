using System.Text.Json;
using UnitScope.Engine.Checkpoints;

namespace UnitScope.Engine.Tests.Models;

/// <summary>The files tests/fixtures/make_model_fixtures.py wrote with PyTorch.</summary>
static class ModelFixtures
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static readonly string Folder = Path.Combine(RepoRoot, "tests", "fixtures", "models");

    public static readonly TheoryData<string> Names = new()
    {
        "smallcnn_cifar", "smallcnn_mnist", "alexnet_small", "vgg16_small", "vgg11_bn_small", "resnet18_small", "resnet50_small",
    };

    public static string Checkpoint(string name) => Path.Combine(Folder, name + ".pth");

    public static StateDict Reference(string name) => CheckpointReader.Read(Path.Combine(Folder, name + ".reference.safetensors"));

    public static Description Describe(string name) =>
        JsonSerializer.Deserialize<Description>(File.ReadAllText(Path.Combine(Folder, name + ".json")), Json)!;

    public static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public sealed record Module(string Name, string Kind, int[] OutputShape);
    public sealed record Description(string Architecture, int InChannels, int[] InputSize, int NumClasses, Module[] Modules);

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backend.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Backend.sln not found above " + AppContext.BaseDirectory);
    }
}
