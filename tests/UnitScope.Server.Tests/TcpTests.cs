using System.Net.Sockets;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>TCP on 127.0.0.1: the token in initialize, or refused and closed.</summary>
public class TcpTests
{
    private static async Task<(TcpClient Socket, LspClient Client)> ConnectAsync(TcpDaemon daemon)
    {
        var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", daemon.Port);
        var stream = socket.GetStream();
        return (socket, new LspClient(stream, stream));
    }

    private static TcpDaemon Start(FakeEngine engine) =>
        DaemonHost.StartTcp(0, "s3cret", new DaemonServices(DaemonLog.None, engine, engine, engine));

    [Fact]
    public async Task Right_token_is_served()
    {
        var engine = new FakeEngine();
        await using var daemon = Start(engine);
        var (socket, client) = await ConnectAsync(daemon);
        using (socket)
        {
            var init = await client.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams(InitializationOptions: new InitializationOptions("s3cret")));
            init.Capabilities.HoverProvider.Should().BeTrue();
            (await client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models.Should().BeEmpty();
            await client.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData(null)]
    public async Task Wrong_or_missing_token_is_refused_and_closed(string? token)
    {
        var engine = new FakeEngine();
        await using var daemon = Start(engine);
        var (socket, client) = await ConnectAsync(daemon);
        using (socket)
        {
            var error = await client.CallExpectingErrorAsync(Methods.Initialize, new InitializeParams(InitializationOptions: new InitializationOptions(token)));
            error.Code.Should().Be(ErrorCodes.Unauthorized);
            error.Kind.Should().Be("Unauthorized");
            await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Request_before_initialize_is_refused_and_closed()
    {
        var engine = new FakeEngine();
        await using var daemon = Start(engine);
        var (socket, client) = await ConnectAsync(daemon);
        using (socket)
        {
            var error = await client.CallExpectingErrorAsync(Methods.ListModels, new ListModelsParams());
            error.Code.Should().Be(ErrorCodes.Unauthorized);
            await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Connections_share_models()
    {
        var engine = new FakeEngine();
        await using var daemon = Start(engine);
        var dir = Path.Combine(Path.GetTempPath(), "unitscope-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var checkpoint = Path.Combine(dir, "m.pth");
        await File.WriteAllTextAsync(checkpoint, "ok");

        var (s1, c1) = await ConnectAsync(daemon);
        var (s2, c2) = await ConnectAsync(daemon);
        using (s1)
        using (s2)
        {
            await c1.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams(InitializationOptions: new InitializationOptions("s3cret")));
            await c2.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams(InitializationOptions: new InitializationOptions("s3cret")));
            var info = await c1.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(checkpoint));
            (await c2.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).ActiveModelId.Should().Be(info.ModelId);
            await c1.DisposeAsync();
            await c2.DisposeAsync();
        }
        Directory.Delete(dir, true);
    }
}
