using System.Net.Sockets;

namespace UnitScope.Server.Tests.Support;

/// <summary>Whether the server closed a socket (also linked into the fault suite).</summary>
internal static class SocketClosed
{
    /// <summary>Whether the server closed the socket within the time (reads until end of stream).</summary>
    public static async Task<bool> ByServerAsync(NetworkStream stream, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, cts.Token) > 0) { }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // reset
        }
    }
}
