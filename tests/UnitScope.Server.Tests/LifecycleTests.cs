using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>LSP lifecycle over an in-memory stream pair.</summary>
public class LifecycleTests
{
    [Fact]
    public async Task Initialize_announces_hover_and_full_sync()
    {
        await using var d = new InProcessDaemon();
        var response = await d.Client.RequestAsync("initialize", new InitializeParams(ProcessId: 1234, ClientInfo: new ClientInfo("test")));
        var result = response.GetProperty("result");
        result.GetProperty("capabilities").GetProperty("hoverProvider").GetBoolean().Should().BeTrue();
        result.GetProperty("capabilities").GetProperty("textDocumentSync").GetInt32().Should().Be(1);
        result.GetProperty("serverInfo").GetProperty("name").GetString().Should().Be("unitscope");
    }

    [Fact]
    public async Task Initialize_accepts_what_vscode_sends()
    {
        await using var d = new InProcessDaemon();
        await d.Client.SendRawAsync("""
            {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"clientInfo":{"name":"Visual Studio Code","version":"1.99.0"},
             "locale":"en","rootPath":null,"rootUri":null,"capabilities":{"textDocument":{"hover":{"contentFormat":["markdown","plaintext"]}}},
             "initializationOptions":{"other":true},"trace":"off","workspaceFolders":null}}
            """);
        var response = await d.Client.NextUnmatchedResponseAsync(); // id 1 was not sent through SendRequestAsync
        response.GetProperty("result").GetProperty("capabilities").GetProperty("hoverProvider").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task Requests_before_initialize_get_server_not_initialized()
    {
        await using var d = new InProcessDaemon();
        var error = await d.Client.CallExpectingErrorAsync(Methods.ListModels, new ListModelsParams());
        error.Code.Should().Be(ErrorCodes.ServerNotInitialized);
        error.Message.Should().Contain("before initialize");
        await d.InitializeAsync();
        (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models.Should().BeEmpty();
    }

    [Fact]
    public async Task Notifications_before_initialize_are_dropped()
    {
        await using var d = new InProcessDaemon();
        var model = d.Checkpoint("m.pth");
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem("file:///a.py", "python", 1, "self.conv1")));
        await d.InitializeAsync();
        await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(model));
        var hover = await d.Client.RequestAsync(Methods.Hover, new HoverParams(new TextDocumentIdentifier("file:///a.py"), new Position(0, 7)));
        hover.GetProperty("result").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task Second_initialize_is_an_invalid_request()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var error = await d.Client.CallExpectingErrorAsync("initialize", new InitializeParams());
        error.Code.Should().Be(ErrorCodes.InvalidRequest);
    }

    [Fact]
    public async Task Shutdown_then_exit_ends_with_code_0()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var response = await d.Client.RequestAsync(Methods.Shutdown, null);
        response.GetProperty("result").ValueKind.Should().Be(JsonValueKind.Null);

        var after = await d.Client.CallExpectingErrorAsync(Methods.ListModels, new ListModelsParams());
        after.Code.Should().Be(ErrorCodes.InvalidRequest);
        after.Message.Should().Contain("after shutdown");

        await d.Client.NotifyAsync(Methods.Exit, null);
        (await d.ExitCode.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(0);
        await d.Client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Exit_without_shutdown_ends_with_code_1()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        await d.Client.NotifyAsync(Methods.Exit, null);
        (await d.ExitCode.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(1);
    }

    [Fact]
    public async Task Exit_before_initialize_still_exits()
    {
        await using var d = new InProcessDaemon();
        await d.Client.NotifyAsync(Methods.Exit, null);
        (await d.ExitCode.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(1);
    }

    [Fact]
    public async Task End_of_input_ends_the_daemon()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        await d.Client.DisposeAsync();
        (await d.ExitCode.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(1);
    }

    [Fact]
    public async Task Exit_frees_the_models_of_a_stdio_daemon()
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync();
        await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("a.pth")));
        await d.Client.RequestAsync(Methods.Shutdown, null);
        await d.Client.NotifyAsync(Methods.Exit, null);
        (await d.ExitCode.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(0);
        await d.DisposeAsync();
    }
}
