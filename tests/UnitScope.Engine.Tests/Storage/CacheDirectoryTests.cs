using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Tests.Storage;

public class CacheDirectoryTests
{
    static string Resolve(params (string Name, string Value)[] environment) =>
        CacheDirectory.Resolve(name => environment.FirstOrDefault(e => e.Name == name).Value);

    [Fact]
    public void UNITSCOPE_CACHE_wins_over_everything() =>
        Resolve(("UNITSCOPE_CACHE", "/data/us-cache"), ("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/me")).Should().Be(Path.GetFullPath("/data/us-cache"));

    [Fact]
    public void Else_XDG_CACHE_HOME_slash_unitscope() =>
        Resolve(("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/me")).Should().Be(Path.GetFullPath("/xdg/unitscope"));

    [Fact]
    public void A_relative_XDG_CACHE_HOME_is_ignored_as_the_spec_says() =>
        Resolve(("XDG_CACHE_HOME", "relative/cache"), ("HOME", "/home/me")).Should().Be(Path.GetFullPath("/home/me/.cache/unitscope"));

    [Fact]
    public void Else_the_home_folder_dot_cache_slash_unitscope() =>
        Resolve(("HOME", "/home/me")).Should().Be(Path.GetFullPath("/home/me/.cache/unitscope"));

    [Fact]
    public void Empty_variables_count_as_unset() =>
        Resolve(("UNITSCOPE_CACHE", ""), ("XDG_CACHE_HOME", ""), ("HOME", "/home/me")).Should().Be(Path.GetFullPath("/home/me/.cache/unitscope"));

    [Fact]
    public void The_store_lives_in_the_dissections_folder_of_the_cache()
    {
        var store = new DissectionStore("/tmp/some-cache");
        store.Folder.Should().Be(Path.GetFullPath("/tmp/some-cache/dissections"));
        new DissectionStore().CacheFolder.Should().Be(CacheDirectory.Resolve());
    }
}
