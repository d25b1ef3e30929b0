using System.IO.Compression;
using UnitScope.Engine.Checkpoints;

namespace UnitScope.Engine.Tests.Checkpoints;

/// <summary>
/// Seeded random damage to real checkpoints: every outcome must be a state_dict or a
/// <see cref="UnitScopeException"/> — never IndexOutOfRange, NullReference or a hang.
/// </summary>
public class DamagedInputTests
{
    const int Rounds = 150;

    static void Check(string fixture, Func<byte[], Random, byte[]> damage, int seed)
    {
        byte[] original = File.ReadAllBytes(CheckpointFixtures.Path(fixture));
        var random = new Random(seed);
        string path = Path.Combine(Path.GetTempPath(), $"unitscope-damaged-{Guid.NewGuid():N}.pt");
        try
        {
            for (int round = 0; round < Rounds; round++)
            {
                File.WriteAllBytes(path, damage(original, random));
                try
                {
                    CheckpointReader.Read(path).Dispose();
                }
                catch (UnitScopeException e)
                {
                    e.Kind.Should().BeOneOf(EngineErrorKind.CorruptCheckpoint, EngineErrorKind.UnsafeCheckpoint);
                    e.Message.Should().Contain(path);
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    static byte[] FlipBytes(byte[] bytes, Random random)
    {
        var copy = (byte[])bytes.Clone();
        for (int i = random.Next(1, 5); i > 0; i--)
            copy[random.Next(copy.Length)] = (byte)random.Next(256);
        return copy;
    }

    static byte[] Truncate(byte[] bytes, Random random) => bytes[..random.Next(bytes.Length)];

    /// <summary>Damages only data.pkl inside a well-formed zip, so the unpickler sees the damage.</summary>
    static byte[] FlipPickleBytes(byte[] zipBytes, Random random)
    {
        using var input = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in input.Entries)
            {
                using var source = entry.Open();
                var data = new MemoryStream();
                source.CopyTo(data);
                byte[] bytes = entry.FullName.EndsWith("data.pkl", StringComparison.Ordinal)
                    ? FlipBytes(data.ToArray(), random)
                    : data.ToArray();
                using var target = zip.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                target.Write(bytes);
            }
        }
        return output.ToArray();
    }

    [Theory]
    [InlineData("tiny_legacy.pt", 1)]
    [InlineData("views_legacy.pt", 2)]
    [InlineData("wrapped_model_numpy.pt", 3)]
    [InlineData("tiny.safetensors", 4)]
    public void Flipped_bytes_give_a_state_dict_or_a_checkpoint_error(string fixture, int seed) => Check(fixture, FlipBytes, seed);

    [Theory]
    [InlineData("tiny_zip.pt", 5)]
    [InlineData("dtypes_legacy.pt", 6)]
    [InlineData("tiny.safetensors", 7)]
    public void Truncation_anywhere_gives_a_checkpoint_error(string fixture, int seed) =>
        Check(fixture, Truncate, seed);

    [Theory]
    [InlineData("wrapped_state_dict.pt", 8)]
    [InlineData("views_zip.pt", 9)]
    public void Damaged_data_pkl_gives_a_state_dict_or_a_checkpoint_error(string fixture, int seed) =>
        Check(fixture, FlipPickleBytes, seed);
}
