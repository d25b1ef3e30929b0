using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using UnitScope.Engine.Storage;
using static UnitScope.Engine.Tests.Storage.StoreSamples;

namespace UnitScope.Engine.Tests.Storage;

/// <summary>
/// The envelope shared by <see cref="DissectionStore"/> and <see cref="AnalysisStore"/>: what the dissection store's
/// tests do not reach (labels such as an analysis's kind, the bytes of earlier entries, the arguments it refuses).
/// Torn writes, checksums, keys, schemas, temporary files and concurrent writers are tested through
/// <see cref="DissectionStoreTests"/>.
/// </summary>
public sealed class ChecksummedJsonFileTests : IDisposable
{
    static readonly string Key = new('a', 64);
    static readonly string OtherKey = new('b', 64);

    public sealed record Sample(string Name, double[] Values);

    static Sample Payload => new("curve", [1, 2.5, double.NaN]);

    readonly TempFolder _cache = new();

    public void Dispose() => _cache.Dispose();

    string PathFor(string key) => Path.Combine(_cache.Path, "ranking", Checkpoint, key + ".json");

    static ChecksummedJsonFile Analyses => AnalysisStore.Entries;

    [Fact]
    public void An_entry_written_by_the_analysis_store_before_it_shared_this_type_reads_back()
    {
        // Byte for byte what AnalysisStore.Put wrote for this payload.
        const string payload = "{\"name\":\"curve\",\"values\":[1,2.5,\"NaN\"]}";
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload)));
        string entry = $"{{\"format\":\"unitscope-analysis\",\"schemaVersion\":1,\"kind\":\"ranking\",\"key\":\"{Key}\",\"sha256\":\"{hash}\",\"result\":{payload}}}\n";

        Encoding.UTF8.GetString(Analyses.Encode(Payload, Key, "ranking")).Should().Be(entry);

        string path = PathFor(Key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, entry);
        var back = Analyses.ReadOrDiscard<Sample>(path, null, Key, "ranking");
        back.Should().NotBeNull();
        back!.Values.Should().Equal(1, 2.5, double.NaN);
    }

    [Fact]
    public void A_dissection_entry_has_the_bytes_the_dissection_store_wrote_before_it_shared_this_type()
    {
        var layer = Layer();
        var key = DissectionKey.For(layer);
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(layer, DissectionStore.JsonOptions);
        string hash = Convert.ToHexStringLower(SHA256.HashData(payload));
        byte[] before = [.. Encoding.UTF8.GetBytes(
            $"{{\"format\":\"unitscope-dissection\",\"schemaVersion\":1,\"key\":\"{key.Value}\",\"sha256\":\"{hash}\",\"dissection\":"),
            .. payload, .. "}\n"u8];

        DissectionStore.Encode(key, layer).Should().Equal(before);
    }

    [Fact]
    public void A_written_entry_reads_back_and_leaves_nothing_else_in_its_folder()
    {
        string path = PathFor(Key);
        Analyses.Write(path, Payload, Key, "ranking");

        Analyses.ReadOrDiscard<Sample>(path, null, Key, "ranking")!.Name.Should().Be("curve");
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().Equal(path);
        File.ReadAllBytes(path).Should().Equal(Analyses.Encode(Payload, Key, "ranking"));
    }

    public static TheoryData<string, Func<byte[], byte[]>> Damages => new()
    {
        { "torn write (first half only)", b => b[..(b.Length / 2)] },
        { "wrong checksum", b => Edit(b, root => root["sha256"] = new string('0', 64)) },
        { "payload changed, checksum kept", b => Edit(b, root => root["result"]!["name"] = "other") },
        { "key of another entry", b => Edit(b, root => root["key"] = OtherKey) },
        { "label of another kind (same key)", b => Edit(b, root => root["kind"] = "ablation") },
        { "label missing", b => Edit(b, root => root.Remove("kind")) },
        { "label not a string", b => Edit(b, root => root["kind"] = 3) },
        { "payload not an object", b => Edit(b, root => root["result"] = "[]") },
        { "payload of another type, checksum recomputed", b => Edit(b, root => Rehash(root, "{\"other\":1}")) },
        { "older schema version", b => Edit(b, root => root["schemaVersion"] = 0) },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_entry_is_never_returned_and_is_removed(string damage, Func<byte[], byte[]> apply)
    {
        string path = PathFor(Key);
        Analyses.Write(path, Payload, Key, "ranking");
        File.WriteAllBytes(path, apply(File.ReadAllBytes(path)));

        Analyses.ReadOrDiscard<Sample>(path, null, Key, "ranking").Should().BeNull(because: damage);
        File.Exists(path).Should().BeFalse(because: $"a damaged entry is removed ({damage})");
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().BeEmpty(because: "the entry moved aside is deleted too");
    }

    [Fact]
    public void An_entry_copied_under_another_key_is_removed_there_and_kept_where_it_belongs()
    {
        Analyses.Write(PathFor(Key), Payload, Key, "ranking");
        Directory.CreateDirectory(Path.GetDirectoryName(PathFor(OtherKey))!);
        File.Copy(PathFor(Key), PathFor(OtherKey));

        Analyses.ReadOrDiscard<Sample>(PathFor(OtherKey), null, OtherKey, "ranking").Should().BeNull();
        File.Exists(PathFor(OtherKey)).Should().BeFalse();
        Analyses.ReadOrDiscard<Sample>(PathFor(Key), null, Key, "ranking").Should().NotBeNull();
    }

    [Fact]
    public void A_payload_the_caller_rejects_is_corrupt_and_removed()
    {
        string path = PathFor(Key);
        Analyses.Write(path, Payload, Key, "ranking");

        Analyses.ReadOrDiscard<Sample>(path, s => s.Values.Length == 0, Key, "ranking").Should().BeNull();
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void An_entry_of_a_newer_schema_is_missing_but_left_alone()
    {
        string path = PathFor(Key);
        Analyses.Write(path, Payload, Key, "ranking");
        byte[] newer = Edit(File.ReadAllBytes(path), root =>
        {
            root["schemaVersion"] = AnalysisStore.SchemaVersion + 1;
            root.Remove("kind"); // a newer layout may drop or rename anything but format and schemaVersion
        });
        File.WriteAllBytes(path, newer);

        Analyses.ReadOrDiscard<Sample>(path, null, Key, "ranking").Should().BeNull();
        File.ReadAllBytes(path).Should().Equal(newer);
    }

    [Fact]
    public void A_missing_entry_or_folder_is_null_and_Remove_says_whether_there_was_one()
    {
        string path = PathFor(Key);
        Analyses.ReadOrDiscard<Sample>(path, null, Key, "ranking").Should().BeNull();
        ChecksummedJsonFile.Remove(path).Should().BeFalse();

        Analyses.Write(path, Payload, Key, "ranking");
        ChecksummedJsonFile.Remove(path).Should().BeTrue();
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void Label_values_must_match_the_label_names()
    {
        var noLabel = () => Analyses.Write(PathFor(Key), Payload, Key);
        noLabel.Should().Throw<ArgumentException>().WithMessage("*kind*");
        var twoLabels = () => Analyses.ReadOrDiscard<Sample>(PathFor(Key), null, Key, "ranking", "extra");
        twoLabels.Should().Throw<ArgumentException>();
        File.Exists(PathFor(Key)).Should().BeFalse();
    }

    [Theory]
    [InlineData("0123456789abcdef", "0123456789abcdef")]
    [InlineData("0123456789ABCDEF", "0123456789abcdef")]
    public void A_hex_checkpoint_hash_is_its_own_folder_name_in_lowercase(string hash, string folder) =>
        ChecksummedJsonFile.FolderName(hash).Should().Be(folder);

    [Theory]
    [InlineData("../../etc")]
    [InlineData("")]
    [InlineData("not hex")]
    [InlineData("a/b")]
    public void Any_other_checkpoint_hash_is_hashed_so_it_cannot_leave_the_folder(string hash)
    {
        string name = ChecksummedJsonFile.FolderName(hash);
        name.Should().Be("x" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hash))));
        Path.GetFullPath(Path.Combine(_cache.Path, name)).Should().Be(Path.Combine(_cache.Path, name));
    }

    [Fact]
    public void A_hex_string_longer_than_128_digits_is_hashed_too() =>
        ChecksummedJsonFile.FolderName(new string('a', 129)).Should().StartWith("x").And.HaveLength(65);

    static byte[] Edit(byte[] bytes, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(bytes)!.AsObject();
        edit(root);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    static void Rehash(JsonObject root, string payload)
    {
        root["result"] = JsonNode.Parse(payload);
        root["sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root["result"]!.ToJsonString())));
    }
}
