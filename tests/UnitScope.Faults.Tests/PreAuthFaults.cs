using System.Net.Sockets;
using System.Text;
using UnitScope.Faults.Tests.Support;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Faults.Tests;

/// <summary>What anyone who can reach the port can do before sending the token: nothing that costs the daemon.</summary>
public class PreAuthFaults(SharedTcpDaemon shared) : IClassFixture<SharedTcpDaemon>
{
    [Fact(Timeout = 120_000)]
    public async Task Large_bodies_before_the_token_are_refused_at_their_header()
    {
        var d = await shared.GetAsync();
        var client = await d.ClientAsync();
        var id = await d.LoadAsync(client);
        var before = d.MemoryMb().Now;
        var floods = Enumerable.Range(0, 4).Select(_ => FloodAsync(d, 40 << 20)).ToArray();
        var closed = await Task.WhenAll(floods);
        closed.Should().AllSatisfy(c => c.Should().BeTrue("the daemon closes a socket that announces 40 MB before the token"));
        (d.MemoryMb().Now - before).Should().BeLessThan(100, "nothing of the 160 MB is held");
        await d.SurvivedAsync(client, id);
    }

    [Fact(Timeout = 120_000)]
    public async Task Hundreds_of_idle_sockets_neither_keep_the_client_out_nor_stay()
    {
        var d = await shared.GetAsync();
        var idle = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 200; i++) idle.Add(await d.SocketAsync());
            var started = DateTime.UtcNow;
            var client = await d.ClientAsync();
            var id = await d.LoadAsync(client);
            (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(60));
            // Every idle socket is closed: at once past the first few, the rest when their 10 s are up.
            var deadline = TimeSpan.FromSeconds(60);
            var all = await Task.WhenAll(idle.Select(s => SocketClosed.ByServerAsync(s.GetStream(), deadline)));
            all.Count(c => c).Should().Be(idle.Count, "no unauthenticated socket stays open");
            await d.SurvivedAsync(client, id);
        }
        finally
        {
            foreach (var s in idle) s.Dispose();
        }
    }

    [Theory(Timeout = 60_000)]
    [InlineData("GET / HTTP/1.1\r\nHost: gpu-box\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003")] // a TLS ClientHello's start
    public async Task Another_protocol_before_the_token_is_closed(string bytes)
    {
        var d = await shared.GetAsync();
        using var socket = await d.SocketAsync();
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(bytes));
        (await SocketClosed.ByServerAsync(stream, TimeSpan.FromSeconds(15))).Should().BeTrue();
        var client = await d.ClientAsync();
        await client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams(), Daemon.Patience);
    }

    /// <summary>Announces <paramref name="bytes"/> and sends a little more than the limit of it; true when the daemon closed the socket.</summary>
    private static async Task<bool> FloodAsync(Daemon d, int bytes)
    {
        using var socket = await d.SocketAsync();
        var stream = socket.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {bytes}\r\n\r\n"));
            var chunk = new byte[64 << 10];
            for (int sent = 0; sent < 4 << 20; sent += chunk.Length) await stream.WriteAsync(chunk);
        }
        catch (IOException)
        {
            return true; // reset while writing: closed
        }
        return await SocketClosed.ByServerAsync(stream, TimeSpan.FromSeconds(15));
    }
}
