using UnitScope.Faults.Tests.Support;
using UnitScope.Protocol;

namespace UnitScope.Faults.Tests;

/// <summary>What a TCP client that has the token can get: the files inside the roots, no code, no other file's bytes.</summary>
public class TrustFaults(SharedTcpDaemon shared) : IClassFixture<SharedTcpDaemon>
{
    [Fact(Timeout = 120_000)]
    public async Task The_token_is_not_on_the_command_line()
    {
        var d = await shared.GetAsync();
        (await File.ReadAllTextAsync($"/proc/{d.Pid}/cmdline")).Should().NotContain(d.Token);
    }

    [Fact(Timeout = 120_000)]
    public async Task Model_code_is_refused_without_allow_code()
    {
        var d = await shared.GetAsync();
        var client = await d.ClientAsync();
        var id = await d.LoadAsync(client);
        var source = Path.Combine(d.Workspace, "Net.cs");
        await File.WriteAllTextAsync(source, "System.IO.File.WriteAllText(\"/tmp/pwned\", \"x\");");
        var error = await client.CallExpectingErrorAsync(Methods.LoadModel, new LoadModelParams(d.Checkpoint, SourcePath: source, TypeName: "Net"), Daemon.Patience);
        error.Code.Should().Be(ErrorCodes.Forbidden, error.ToString());
        await d.SurvivedAsync(client, id);
    }

    public static TheoryData<string> Outside => new() { "/etc/passwd", "/etc/hostname", "..", "link" };

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Outside))]
    public async Task Files_outside_the_roots_are_refused_and_never_quoted(string target)
    {
        var d = await shared.GetAsync();
        var client = await d.ClientAsync();
        var id = await d.LoadAsync(client);
        var secret = Path.Combine(Path.GetTempPath(), $"unitscope-secret-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(secret, Enumerable.Range(0, 10).Select(i => $"SECRET-{i}"));
        try
        {
            string path = target switch
            {
                ".." => Path.Combine(d.Workspace, "..", Path.GetFileName(secret)),
                "link" => MakeLink(d, secret),
                _ => target,
            };
            foreach (var (method, request) in new (string, object)[]
                     {
                         (Methods.LoadModel, new LoadModelParams(path)),
                         (Methods.Predict, new PredictParams(id, path)),
                         // (A link's description would go beside the link, inside the root: that write is allowed.)
                         (Methods.WriteModelDescription, new WriteModelDescriptionParams(target == "link" ? "/etc/x.pth" : path, Architecture: "resnet18")),
                         (Methods.Dissect, new DissectParams(id, ["conv1"], Dataset: target == "link" ? "/etc" : Path.GetDirectoryName(path))),
                     })
            {
                var error = await client.CallExpectingErrorAsync(method, request, Daemon.Patience);
                error.Code.Should().Be(ErrorCodes.Forbidden, $"{method} {path}: {error}");
                error.Message.Should().NotContain("SECRET").And.NotContain("root:");
            }
            // A description naming a class-names file outside the root is refused when written, and when read.
            string names = target is "link" or ".." ? secret : target;
            var written = await client.CallExpectingErrorAsync(Methods.WriteModelDescription,
                new WriteModelDescriptionParams(d.Checkpoint, ClassNamesFile: names), Daemon.Patience);
            written.Code.Should().Be(ErrorCodes.Forbidden, written.ToString());
            await File.WriteAllTextAsync(Path.Combine(d.Workspace, "m.unitscope.json"), $$"""{ "classNamesFile": "{{names}}" }""");
            var described = await client.CallExpectingErrorAsync(Methods.LoadModel, new LoadModelParams(d.Checkpoint, InputSize: [64, 64]), Daemon.Patience);
            described.Code.Should().Be(ErrorCodes.Forbidden, described.ToString());
            described.Message.Should().NotContain("SECRET").And.NotContain("root:");
            File.Delete(Path.Combine(d.Workspace, "m.unitscope.json"));
            await d.SurvivedAsync(client, id);
        }
        finally
        {
            File.Delete(secret);
            // The workspace is the next case's too.
            File.Delete(Path.Combine(d.Workspace, "m.unitscope.json"));
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task A_file_that_is_no_checkpoint_is_not_quoted_back()
    {
        var d = await shared.GetAsync();
        var client = await d.ClientAsync();
        var shadow = Path.Combine(d.Workspace, "shadow.pth");
        await File.WriteAllTextAsync(shadow, "root:$6$rounds=5000$salt$hash:19000:0:99999:7:::\n");
        var error = await client.CallExpectingErrorAsync(Methods.LoadModel, new LoadModelParams(shadow), Daemon.Patience);
        error.Code.Should().Be(ErrorCodes.CorruptCheckpoint);
        error.Message.Should().NotContain(Convert.ToHexStringLower("root:$6$"u8.ToArray())).And.NotContain("root:");
    }

    private static string MakeLink(Daemon d, string target)
    {
        var link = Path.Combine(d.Workspace, "innocent.png");
        File.Delete(link);
        File.CreateSymbolicLink(link, target);
        return link;
    }
}
