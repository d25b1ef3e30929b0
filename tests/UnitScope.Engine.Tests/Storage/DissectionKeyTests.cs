using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Storage;
using static UnitScope.Engine.Tests.Storage.StoreSamples;

namespace UnitScope.Engine.Tests.Storage;

public class DissectionKeyTests
{
    static readonly DissectionKey Base = new(Checkpoint, "features.8", Dataset, new DissectionOptions());

    [Fact]
    public void Key_is_the_sha256_of_the_documented_canonical_encoding_and_does_not_drift()
    {
        Base.CanonicalEncoding.Should().Be(
            "unitscope/dissection/v2\n" +
            $"checkpoint:{Checkpoint}\n" +
            "layer:10:features.8\n" +
            $"dataset:{Dataset}\n" +
            "quantile:0.005\n" +
            "iouThreshold:0.04\n" +
            "topImages:8\n" +
            "maxImages:all\n");
        // Pinned: a change here orphans every user's cache, so it must be deliberate (bump AlgorithmVersion).
        Base.Value.Should().Be(PinnedValue);
    }

    const string PinnedValue = "375c300c813204937c6774116f30a760c042df3c759c2c37208192d049e32327";

    [Fact]
    public void Equal_inputs_give_equal_keys_and_hex_case_does_not_matter()
    {
        var again = new DissectionKey(Checkpoint.ToUpperInvariant(), "features.8", Dataset.ToUpperInvariant(), new DissectionOptions());
        again.Value.Should().Be(Base.Value);
        again.Should().Be(Base);
        again.Value.Should().MatchRegex("^[0-9a-f]{64}$");
    }

    public static TheoryData<string, DissectionKey> Changed => new()
    {
        { "checkpoint", new DissectionKey(Checkpoint[..^1] + "0", "features.8", Dataset, new DissectionOptions()) },
        { "layer", new DissectionKey(Checkpoint, "features.9", Dataset, new DissectionOptions()) },
        { "dataset", new DissectionKey(Checkpoint, "features.8", Dataset[..^1] + "1", new DissectionOptions()) },
        { "quantile", new DissectionKey(Checkpoint, "features.8", Dataset, new DissectionOptions { Quantile = 0.01 }) },
        { "iou threshold", new DissectionKey(Checkpoint, "features.8", Dataset, new DissectionOptions { IouThreshold = 0.05 }) },
        { "top images", new DissectionKey(Checkpoint, "features.8", Dataset, new DissectionOptions { TopImages = 9 }) },
        { "max images", new DissectionKey(Checkpoint, "features.8", Dataset, new DissectionOptions { MaxImages = 100 }) },
        { "layer imitating the next line", new DissectionKey(Checkpoint, "features.8\ndataset:x", Dataset, new DissectionOptions()) },
    };

    [Theory]
    [MemberData(nameof(Changed))]
    public void Every_part_of_the_key_changes_it(string part, DissectionKey changed)
    {
        changed.Value.Should().NotBe(Base.Value, because: $"the {part} differs");
    }

    [Fact]
    public void Batch_size_only_changes_speed_so_it_is_not_in_the_key()
    {
        new DissectionKey(Checkpoint, "features.8", Dataset, new DissectionOptions { BatchSize = 3 }).Value.Should().Be(Base.Value);
    }

    [Fact]
    public void A_result_is_keyed_by_its_own_identity()
    {
        DissectionKey.For(Layer()).Should().Be(Base);
    }
}
