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

    private static TcpDaemon Start(FakeEngine engine, TcpLimits? limits = null, DaemonLog? log = null, RemoteAccess? access = null) =>
        DaemonHost.StartTcp(0, access ?? new RemoteAccess("s3cret") { Roots = [Path.GetTempPath()] },
            new DaemonServices(log ?? DaemonLog.None, engine, engine, engine), limits);

    /// <summary>A folder for a test's files, under a root of its own.</summary>
    private static string Folder(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "unitscope-tests", Guid.NewGuid().ToString("N"), name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public async Task Model_code_is_refused_over_tcp_unless_the_server_allows_it()
    {
        var dir = Folder("code");
        var checkpoint = Path.Combine(dir, "m.dat");
        await File.WriteAllTextAsync(checkpoint, "ok");
        await File.WriteAllTextAsync(Path.Combine(dir, "Net.cs"), "class Net {}");
        foreach (var allow in new[] { false, true })
        {
            await using var daemon = Start(new FakeEngine(), access: new RemoteAccess("s3cret") { Roots = [dir], AllowCode = allow });
            var (socket, client) = await ConnectAsync(daemon);
            using (socket)
            {
                await AuthenticateAsync(client);
                var response = await client.RequestAsync(Methods.LoadModel, new LoadModelParams(checkpoint, SourcePath: Path.Combine(dir, "Net.cs")));
                if (allow)
                {
                    LspClient.ErrorOf(response).Should().BeNull("--allow-code lets the token holder load a C# model");
                }
                else
                {
                    var error = LspClient.ErrorOf(response)!;
                    error.Code.Should().Be(ErrorCodes.Forbidden);
                    error.Message.Should().Contain("--allow-code");
                    // The connection goes on.
                    (await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(checkpoint))).ModelId.Should().NotBeEmpty();
                }
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Files_outside_the_roots_are_refused_and_inside_them_served()
    {
        var inside = Folder("inside");
        var outside = Folder("outside");
        foreach (var dir in new[] { inside, outside })
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "m.pth"), "ok " + dir);
            await File.WriteAllBytesAsync(Path.Combine(dir, "i.png"), "IMG..."u8.ToArray());
            Directory.CreateDirectory(Path.Combine(dir, "set", "a"));
        }
        // A link inside the root that leads outside counts as outside.
        File.CreateSymbolicLink(Path.Combine(inside, "link.pth"), Path.Combine(outside, "m.pth"));

        await using var daemon = Start(new FakeEngine(), access: new RemoteAccess("s3cret") { Roots = [inside] });
        var (socket, client) = await ConnectAsync(daemon);
        using (socket)
        {
            await AuthenticateAsync(client);
            async Task Refused(string method, object request)
            {
                var error = await client.CallExpectingErrorAsync(method, request);
                error.Code.Should().Be(ErrorCodes.Forbidden, $"{method}: {error}");
                error.Message.Should().Contain("outside the folders");
            }
            await Refused(Methods.LoadModel, new LoadModelParams(Path.Combine(outside, "m.pth")));
            await Refused(Methods.LoadModel, new LoadModelParams(Path.Combine(inside, "link.pth")));
            await Refused(Methods.LoadModel, new LoadModelParams(Path.Combine(inside, "..", "outside", "m.pth")));
            await Refused(Methods.WriteModelDescription, new WriteModelDescriptionParams(Path.Combine(outside, "m.pth"), Architecture: "resnet18"));
            File.Exists(Path.Combine(outside, "m.unitscope.json")).Should().BeFalse();

            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(Path.Combine(inside, "m.pth")));
            await Refused(Methods.Predict, new PredictParams(model.ModelId, Path.Combine(outside, "i.png")));
            await Refused(Methods.Ablate, new AblateParams(model.ModelId, "conv1", [0], EvaluationSet: Path.Combine(outside, "set")));
            await Refused(Methods.Dissect, new DissectParams(model.ModelId, ["conv1"], Dataset: Path.Combine(outside, "set")));

            (await client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(model.ModelId, Path.Combine(inside, "i.png")))).Top.Should().NotBeEmpty();
            (await client.CallAsync<WriteModelDescriptionResult>(Methods.WriteModelDescription,
                new WriteModelDescriptionParams(Path.Combine(inside, "m.pth"), Architecture: "resnet18"))).Path.Should().StartWith(inside);
            await client.DisposeAsync();
        }
    }

    private static Task<InitializeResult> AuthenticateAsync(LspClient client) =>
        client.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams(InitializationOptions: new InitializationOptions("s3cret")));

    [Fact]
    public async Task A_large_message_before_authentication_closes_the_connection_unread()
    {
        await using var daemon = Start(new FakeEngine());
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", daemon.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("Content-Length: 200000000\r\n\r\n"));
        // Only a little of the announced body: the daemon must not wait for (or hold) the rest.
        await stream.WriteAsync(new byte[256 * 1024]);
        (await SocketClosed.ByServerAsync(stream, TimeSpan.FromSeconds(10))).Should().BeTrue("a 200 MB message before the token is refused at its header");
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003")] // a TLS ClientHello's start: no line end
    [InlineData("Content-Lx")] // a header's start gone wrong
    public async Task Garbage_before_authentication_closes_the_connection_at_once(string bytes)
    {
        // Closed for the bytes, not by the authentication timeout.
        await using var daemon = Start(new FakeEngine(), new TcpLimits { AuthenticationTimeout = TimeSpan.FromMinutes(5) });
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", daemon.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.Latin1.GetBytes(bytes));
        (await SocketClosed.ByServerAsync(stream, TimeSpan.FromSeconds(30))).Should().BeTrue();
    }

    [Fact]
    public async Task A_socket_that_does_not_authenticate_in_time_is_closed()
    {
        await using var daemon = Start(new FakeEngine(), new TcpLimits { AuthenticationTimeout = TimeSpan.FromMilliseconds(300) });
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", daemon.Port);
        (await SocketClosed.ByServerAsync(socket.GetStream(), TimeSpan.FromSeconds(10))).Should().BeTrue();
    }

    [Fact]
    public async Task Idle_sockets_cannot_keep_the_real_client_out()
    {
        var limits = new TcpLimits { MaxUnauthenticated = 4, AuthenticationTimeout = TimeSpan.FromMinutes(5) };
        await using var daemon = Start(new FakeEngine(), limits);
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var s = new TcpClient();
                await s.ConnectAsync("127.0.0.1", daemon.Port);
                idle.Add(s);
            }
            for (var i = 0; i < 100 && daemon.OpenConnections > limits.MaxUnauthenticated; i++) await Task.Delay(50);
            daemon.OpenConnections.Should().BeLessThanOrEqualTo(limits.MaxUnauthenticated, "the oldest waiting sockets are closed");

            var (socket, client) = await ConnectAsync(daemon);
            using (socket)
            {
                await AuthenticateAsync(client);
                (await client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models.Should().BeEmpty();
                await client.DisposeAsync();
            }
        }
        finally
        {
            foreach (var s in idle) s.Dispose();
        }
    }

    [Fact]
    public async Task Connections_past_the_limit_are_refused()
    {
        await using var daemon = Start(new FakeEngine(), new TcpLimits { MaxConnections = 3 });
        var open = new List<(TcpClient Socket, LspClient Client)>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var c = await ConnectAsync(daemon);
                await AuthenticateAsync(c.Client);
                open.Add(c);
            }
            using var extra = new TcpClient();
            await extra.ConnectAsync("127.0.0.1", daemon.Port);
            (await SocketClosed.ByServerAsync(extra.GetStream(), TimeSpan.FromSeconds(10))).Should().BeTrue();
            // The open ones are unaffected.
            (await open[0].Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models.Should().BeEmpty();
        }
        finally
        {
            foreach (var (socket, client) in open)
            {
                await client.DisposeAsync();
                socket.Dispose();
            }
        }
    }

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
