using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Hostile;

/// <summary>
/// While a remote client's request runs, the Engine reads nothing outside the server's roots: not what is named,
/// not what is read beside it (a description's class-names file), not through a link. And no error quotes a file.
/// </summary>
public class ConfinementTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("unitscope-root-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("unitscope-outside-").FullName;

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    private string Model(string folder, string classNamesFile)
    {
        var checkpoint = Path.Combine(folder, "m.pth");
        File.Copy(ModelFixtures.Checkpoint("smallcnn_cifar"), checkpoint);
        File.WriteAllText(Path.Combine(folder, "m.unitscope.json"), $$"""{ "classNamesFile": "{{classNamesFile}}" }""");
        return checkpoint;
    }

    [Fact]
    public void A_class_names_file_outside_the_roots_is_refused_when_confined()
    {
        var secret = Path.Combine(_outside, "secret.txt");
        File.WriteAllLines(secret, Enumerable.Range(0, 10).Select(i => $"secret line {i}"));
        var checkpoint = Model(_root, secret);

        using (UserFile.ConfineTo(new FileRoots([_root])))
        {
            var error = FluentActions.Invoking(() => ModelSession.Load(checkpoint)).Should().Throw<UnitScopeException>().Which;
            error.Kind.Should().Be(EngineErrorKind.Forbidden);
            error.Message.Should().NotContain("secret line");
        }
        // Unconfined (the CLI, stdio), the user's own file is read.
        using var session = ModelSession.Load(checkpoint);
        session.ClassNames[3].Should().Be("secret line 3");
    }

    [Fact]
    public void Links_are_followed_before_the_check()
    {
        var image = Path.Combine(_outside, "i.png");
        File.Copy(Path.Combine(ModelFixtures.RepoRoot, "samples", "images", "cross.png"), image);
        var link = Path.Combine(_root, "i.png");
        File.CreateSymbolicLink(link, image);
        using (UserFile.ConfineTo(new FileRoots([_root])))
        {
            FluentActions.Invoking(() => ImageFile.Load(link)).Should().Throw<UnitScopeException>().Which.Kind.Should().Be(EngineErrorKind.Forbidden);
            FluentActions.Invoking(() => ImageFile.Load(image)).Should().Throw<UnitScopeException>().Which.Kind.Should().Be(EngineErrorKind.Forbidden);
        }
        ImageFile.Load(link).Width.Should().Be(64);
    }

    [Fact]
    public void A_file_that_is_no_checkpoint_is_not_quoted()
    {
        var shadowLike = Path.Combine(_root, "shadow");
        File.WriteAllText(shadowLike, "root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n");
        var error = FluentActions.Invoking(() => CheckpointReader.Read(shadowLike)).Should().Throw<UnitScopeException>().Which;
        error.Message.Should().Contain("not a recognised checkpoint");
        error.Message.Should().NotContain(Convert.ToHexStringLower("root:$6$"u8.ToArray())).And.NotContain("root:");
    }
}
