using System.Text;
using System.Text.Json.Nodes;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Storage;
using static UnitScope.Engine.Tests.Storage.StoreSamples;

namespace UnitScope.Engine.Tests.Storage;

public sealed class DissectionStoreTests : IDisposable
{
    readonly TempFolder _cache = new();
    readonly DissectionStore _store;

    public DissectionStoreTests() => _store = new DissectionStore(_cache.Path);

    public void Dispose() => _cache.Dispose();

    [Fact]
    public void A_stored_result_reads_back_equal()
    {
        var layer = Layer();
        _store.Put(layer);

        _store.TryGet(DissectionKey.For(layer), out var back).Should().BeTrue();
        back.Should().BeEquivalentTo(layer, o => o.ComparingByMembers<LayerDissection>());
        back.Units[0].TopImages[1].MaxActivation.Should().Be(float.NaN);
        File.Exists(_store.PathOf(DissectionKey.For(layer))).Should().BeTrue();
        _store.PathOf(DissectionKey.For(layer)).Should().Be(
            Path.Combine(_cache.Path, "dissections", Checkpoint, DissectionKey.For(layer).Value + ".json"));
    }

    [Fact]
    public void A_missing_entry_is_not_found()
    {
        _store.TryGet(DissectionKey.For(Layer()), out _).Should().BeFalse();
        _store.ListFor(Checkpoint).Should().BeEmpty();
    }

    [Fact]
    public void Putting_again_replaces_the_entry()
    {
        _store.Put(Layer() with { ImageCount = 1 });
        _store.Put(Layer() with { ImageCount = 2 });
        _store.TryGet(DissectionKey.For(Layer()), out var back).Should().BeTrue();
        back.ImageCount.Should().Be(2);
        Directory.GetFiles(Path.GetDirectoryName(_store.PathOf(DissectionKey.For(Layer())))!).Should().HaveCount(1);
    }

    [Fact]
    public void ListFor_returns_every_layer_and_option_set_of_that_checkpoint_only()
    {
        _store.Put(Layer("features.4"));
        _store.Put(Layer("features.8"));
        _store.Put(Layer("features.8", options: new DissectionOptions { Quantile = 0.01 }));
        _store.Put(Layer("features.8", checkpoint: new string('a', 64)));

        var listed = _store.ListFor(Checkpoint).ToList();
        listed.Select(l => (l.Layer, l.Options.Quantile)).Should().BeEquivalentTo(
            [("features.4", 0.005), ("features.8", 0.005), ("features.8", 0.01)]);
        _store.ListFor(new string('a', 64)).Should().ContainSingle();
        _store.ListFor(new string('b', 64)).Should().BeEmpty();
    }

    [Fact]
    public void A_checkpoint_hash_that_is_not_hex_cannot_leave_the_store_folder()
    {
        var layer = Layer(checkpoint: "../../etc");
        _store.Put(layer);
        Path.GetFullPath(_store.PathOf(DissectionKey.For(layer))).Should().StartWith(_store.Folder + Path.DirectorySeparatorChar);
        _store.ListFor("../../etc").Should().ContainSingle();
    }

    public static TheoryData<string, Func<byte[], byte[]>> Damages => new()
    {
        { "empty file", _ => [] },
        { "truncated to one byte", b => b[..1] },
        { "truncated in the middle", b => b[..(b.Length / 2)] },
        { "last byte cut (closing brace)", b => b[..^2] },
        { "not JSON", _ => "hello"u8.ToArray() },
        { "a JSON array", _ => "[1,2,3]"u8.ToArray() },
        { "one digit changed in the payload", b => ChangeText(b, "\"threshold\":0.5", "\"threshold\":0.6") },
        { "checksum changed", b => Edit(b, root => root["sha256"] = new string('0', 64)) },
        { "checksum removed", b => Edit(b, root => root.Remove("sha256")) },
        { "key field of another entry", b => Edit(b, root => root["key"] = new string('c', 64)) },
        { "payload of another layer, checksum recomputed", b => Edit(b, root => Rehash(root, p => p["layer"] = "features.9")) },
        { "units null, checksum recomputed", b => Edit(b, root => Rehash(root, p => p["units"] = null)) },
        { "older schema version", b => Edit(b, root => root["schemaVersion"] = 0) },
        { "another format", b => Edit(b, root => root["format"] = "something-else") },
        { "zero bytes in the middle", b => { var c = (byte[])b.Clone(); Array.Clear(c, c.Length / 2, 16); return c; } },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_entry_is_never_returned_is_removed_and_the_store_keeps_working(string damage, Func<byte[], byte[]> apply)
    {
        var layer = Layer();
        var key = DissectionKey.For(layer);
        _store.Put(layer);
        string path = _store.PathOf(key);
        File.WriteAllBytes(path, apply(File.ReadAllBytes(path)));

        _store.TryGet(key, out _).Should().BeFalse(because: $"the entry has damage: {damage}");
        File.Exists(path).Should().BeFalse(because: "a damaged entry is removed");
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().BeEmpty();

        _store.Put(layer);
        _store.TryGet(key, out var back).Should().BeTrue();
        back.Layer.Should().Be(layer.Layer);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void ListFor_skips_and_removes_damaged_entries(string damage, Func<byte[], byte[]> apply)
    {
        _store.Put(Layer("features.4"));
        var damaged = Layer("features.8");
        _store.Put(damaged);
        string path = _store.PathOf(DissectionKey.For(damaged));
        File.WriteAllBytes(path, apply(File.ReadAllBytes(path)));

        _store.ListFor(Checkpoint).Select(l => l.Layer).Should().Equal(["features.4"], because: damage);
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void An_entry_copied_under_another_key_is_not_returned_for_that_key()
    {
        var a = Layer("features.4");
        var b = Layer("features.8");
        _store.Put(a);
        File.Copy(_store.PathOf(DissectionKey.For(a)), _store.PathOf(DissectionKey.For(b)));
        _store.TryGet(DissectionKey.For(b), out _).Should().BeFalse();
        _store.TryGet(DissectionKey.For(a), out _).Should().BeTrue();
    }

    [Fact]
    public void An_entry_of_a_newer_schema_is_missing_to_us_but_left_for_the_newer_program()
    {
        var layer = Layer();
        _store.Put(layer);
        string path = _store.PathOf(DissectionKey.For(layer));
        File.WriteAllBytes(path, Edit(File.ReadAllBytes(path), root => root["schemaVersion"] = DissectionStore.SchemaVersion + 1));

        _store.TryGet(DissectionKey.For(layer), out _).Should().BeFalse();
        File.Exists(path).Should().BeTrue();
    }

    [Fact]
    public void A_leftover_temporary_file_from_a_crashed_writer_is_never_read_and_old_ones_are_cleaned_up()
    {
        var layer = Layer();
        var key = DissectionKey.For(layer);
        string folder = Path.GetDirectoryName(_store.PathOf(key))!;
        Directory.CreateDirectory(folder);
        byte[] whole = DissectionStore.Encode(key, layer);
        string oldTemp = Path.Combine(folder, $".{key.Value}.4242.{Guid.NewGuid():N}.tmp");
        string freshTemp = Path.Combine(folder, $".{key.Value}.4343.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(oldTemp, whole[..(whole.Length / 3)]);
        File.WriteAllBytes(freshTemp, whole);
        File.SetLastWriteTimeUtc(oldTemp, DateTime.UtcNow.AddHours(-2));

        _store.TryGet(key, out _).Should().BeFalse(because: "a temporary file is not an entry, even a whole one");
        _store.ListFor(Checkpoint).Should().BeEmpty();

        _store.Put(layer);
        _store.TryGet(key, out _).Should().BeTrue();
        File.Exists(oldTemp).Should().BeFalse(because: "a writer that crashed an hour ago left it");
        File.Exists(freshTemp).Should().BeTrue(because: "it may belong to a write in progress in another process");
    }

    [Fact]
    public async Task Concurrent_writers_and_readers_of_one_key_leave_one_whole_entry()
    {
        var key = DissectionKey.For(Layer());
        using var stop = new CancellationTokenSource();
        using var readerRunning = new ManualResetEventSlim();
        int readsSeen = 0;
        var reader = Task.Run(() =>
        {
            var store = new DissectionStore(_cache.Path); // as another process would: its own instance
            readerRunning.Set();
            while (!stop.IsCancellationRequested || readsSeen == 0)
            {
                if (store.TryGet(key, out var seen))
                {
                    seen.Units.Should().HaveCount(8 + (seen.ImageCount / 1000 * 40 + seen.ImageCount % 1000) % 5,
                        because: "a reader sees one writer's whole entry, never a mix");
                    Interlocked.Increment(ref readsSeen);
                }
            }
        });
        readerRunning.Wait();
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            var store = new DissectionStore(_cache.Path);
            for (int i = 0; i < 40; i++)
                store.Put(Layer(units: 8 + (w * 40 + i) % 5) with { ImageCount = w * 1000 + i });
        })).ToArray();
        await Task.WhenAll(writers);
        stop.Cancel();
        await reader.WaitAsync(TimeSpan.FromSeconds(30));

        _store.TryGet(key, out var final).Should().BeTrue();
        final.ImageCount.Should().BeOneOf(39, 1039, 2039);
        Directory.GetFiles(Path.GetDirectoryName(_store.PathOf(key))!).Select(Path.GetFileName)
            .Should().Equal(key.Value + ".json");
        readsSeen.Should().BeGreaterThan(0);
    }

    static byte[] ChangeText(byte[] bytes, string from, string to)
    {
        string text = Encoding.UTF8.GetString(bytes);
        text.Should().Contain(from);
        int at = text.IndexOf(from, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text[..at] + to + text[(at + from.Length)..]);
    }

    static byte[] Edit(byte[] bytes, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(bytes)!.AsObject();
        edit(root);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>Changes the payload and writes the checksum that matches the change.</summary>
    static void Rehash(JsonObject root, Action<JsonObject> change)
    {
        var payload = root["dissection"]!.AsObject();
        change(payload);
        string text = payload.ToJsonString();
        root["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
