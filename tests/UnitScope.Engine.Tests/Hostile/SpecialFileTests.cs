using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.ModelDescription;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Hostile;

/// <summary>
/// Every way a named file is read refuses what is not a regular file before opening it: a FIFO blocked the
/// daemon until someone wrote to it, /dev/zero was hashed forever.
/// </summary>
public class SpecialFileTests
{
    // Generous for a loaded machine (the first model load starts libtorch): a blocked read never ends at all.
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Readers => new()
    {
        "image", "checkpoint", "checkpoint hash", "model", "segmentation mask", "model description",
    };

    private static void Read(string reader, string path)
    {
        switch (reader)
        {
            case "image": ImageFile.Load(path); break;
            case "checkpoint": CheckpointReader.Read(path).Dispose(); break;
            case "checkpoint hash": CheckpointReader.ComputeHash(path); break;
            case "model": ModelSession.Load(path).Dispose(); break;
            case "segmentation mask": LabelMaskFile.Read(path); break;
            case "model description": ModelDescriptionFile.Read(path); break;
            default: throw new ArgumentOutOfRangeException(nameof(reader));
        }
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_fifo_is_refused_without_waiting_for_a_writer(string reader)
    {
        using var files = new SpecialFiles();
        var fifo = files.Fifo("x.pth");
        var error = files.Within(Quickly, () => Read(reader, fifo));
        error.Should().BeOfType<UnitScopeException>().Which.Message.Should().Contain("named pipe (FIFO), not a regular file");
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void Dev_zero_is_refused_not_read_forever(string reader)
    {
        using var files = new SpecialFiles();
        var error = files.Within(Quickly, () => Read(reader, "/dev/zero"));
        error.Should().BeOfType<UnitScopeException>().Which.Message.Should().Contain("character device, not a regular file");
    }

    [Fact]
    public void A_fifo_beside_a_checkpoint_does_not_block_its_load()
    {
        using var files = new SpecialFiles();
        var checkpoint = files.File("m.pth", File.ReadAllBytes(ModelFixtures.Checkpoint("smallcnn_cifar")));
        files.Fifo("m.classes.txt");
        Exception? error = null;
        files.Within(Quickly, () =>
        {
            using var session = ModelSession.Load(checkpoint);
            session.ClassNames[0].Should().Be("class 0", "a class-names file that is no regular file is not read");
        }).Should().BeNull();

        files.Fifo("m.unitscope.json");
        error = files.Within(Quickly, () => ModelSession.Load(checkpoint).Dispose());
        error.Should().BeOfType<UnitScopeException>().Which.Message.Should().Contain("not a regular file");
    }

    [Fact]
    public void Kinds_are_told_apart()
    {
        using var files = new SpecialFiles();
        UserFile.KindOf(files.Fifo("p")).Should().Be(FileKind.Fifo);
        UserFile.KindOf("/dev/null").Should().Be(FileKind.CharacterDevice);
        UserFile.KindOf(files.Folder).Should().Be(FileKind.Directory);
        UserFile.KindOf(files.File("f", [1])).Should().Be(FileKind.Regular);
        UserFile.KindOf(Path.Combine(files.Folder, "missing")).Should().Be(FileKind.Missing);
        var link = Path.Combine(files.Folder, "link");
        File.CreateSymbolicLink(link, "/dev/zero");
        UserFile.KindOf(link).Should().Be(FileKind.CharacterDevice, "links are followed to what they name");
    }

    [Fact]
    public void Hashing_stops_at_the_next_read_once_cancelled()
    {
        using var files = new SpecialFiles();
        var big = files.File("big.pth", new byte[64 << 20]);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        FluentActions.Invoking(() => CheckpointReader.ComputeHash(big, cts.Token)).Should().Throw<OperationCanceledException>();
        FluentActions.Invoking(() => ModelSession.Load(big, cancellationToken: cts.Token)).Should().Throw<OperationCanceledException>();
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));
    }
}
