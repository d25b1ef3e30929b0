using UnitScope.Engine.Checkpoints;

namespace UnitScope.Engine.Tests.Evolution;

/// <summary>
/// A checkpoint that training is still writing is not read: every cut of a zip, legacy-pickle and safetensors checkpoint
/// (as a writer leaves it part way) reads as incomplete, the whole file as complete, a missing file as incomplete, and
/// a file that grows during the wait as incomplete.
/// </summary>
public sealed class CheckpointCompletenessTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("unitscope-complete-test-").FullName;

    [Theory]
    [InlineData("tiny_zip.pt")]
    [InlineData("tiny_legacy.pt")]
    [InlineData("tiny.safetensors")]
    public void Every_cut_of_a_checkpoint_is_incomplete_and_the_whole_one_complete(string fixture)
    {
        var bytes = File.ReadAllBytes(Checkpoints.CheckpointFixtures.Path(fixture));
        string path = Path.Combine(_folder, fixture);
        // About 40 cuts spread over the file, the last byte missing among them.
        var cuts = Enumerable.Range(0, 40).Select(i => (int)((long)bytes.Length * i / 40)).Append(bytes.Length - 1).Distinct();
        foreach (int cut in cuts)
        {
            File.WriteAllBytes(path, bytes[..cut]);
            CheckpointCompleteness.IsComplete(path, TimeSpan.Zero).Should().BeFalse($"{cut} of {bytes.Length} bytes is not the whole file");
        }
        File.WriteAllBytes(path, bytes);
        CheckpointCompleteness.IsComplete(path, TimeSpan.FromMilliseconds(20)).Should().BeTrue();
    }

    [Fact]
    public void A_missing_file_is_not_complete() =>
        CheckpointCompleteness.IsComplete(Path.Combine(_folder, "gone.pt"), TimeSpan.Zero).Should().BeFalse();

    [Fact]
    public async Task A_file_written_to_during_the_wait_is_not_complete()
    {
        var bytes = File.ReadAllBytes(Checkpoints.CheckpointFixtures.Path("tiny_zip.pt"));
        string path = Path.Combine(_folder, "growing.pt");
        File.WriteAllBytes(path, bytes);
        var checking = Task.Run(() => CheckpointCompleteness.IsComplete(path, TimeSpan.FromSeconds(3)));
        await Task.Delay(300);
        await File.AppendAllTextAsync(path, "more");
        (await checking).Should().BeFalse("its size changed while it settled");
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
