namespace UnitScope.Server;

/// <summary>
/// The daemon's log: one line per event on a text writer (stderr by default — stdout carries the
/// protocol and nothing else).
/// </summary>
public sealed class DaemonLog(TextWriter writer, DaemonLogLevel minimum = DaemonLogLevel.Info)
{
    private readonly Lock _lock = new();

    public static DaemonLog Stderr(DaemonLogLevel minimum = DaemonLogLevel.Info) => new(Console.Error, minimum);
    public static DaemonLog None { get; } = new(TextWriter.Null, DaemonLogLevel.None);

    /// <summary>stderr, at the level named by UNITSCOPE_LOG (debug, info, warn, error, none; default info).</summary>
    public static DaemonLog FromEnvironment() =>
        Stderr(Enum.TryParse<DaemonLogLevel>(Environment.GetEnvironmentVariable("UNITSCOPE_LOG"), ignoreCase: true, out var level)
            ? level
            : DaemonLogLevel.Info);

    public void Debug(string message) => Write(DaemonLogLevel.Debug, message, null);
    public void Info(string message) => Write(DaemonLogLevel.Info, message, null);
    public void Warn(string message, Exception? exception = null) => Write(DaemonLogLevel.Warn, message, exception);
    public void Error(string message, Exception? exception = null) => Write(DaemonLogLevel.Error, message, exception);

    private void Write(DaemonLogLevel level, string message, Exception? exception)
    {
        if (level < minimum) return;
        // Messages may quote requests (a layer name of any length): cut them.
        var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {level.ToString().ToUpperInvariant(),-5} {Rpc.Echo.Cut(message, Rpc.Echo.MaxLogLine)}";
        if (exception is not null) line += Environment.NewLine + exception;
        lock (_lock)
        {
            try
            {
                writer.WriteLine(line);
                writer.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // Logging must never take the daemon down.
            }
        }
    }
}

public enum DaemonLogLevel { Debug, Info, Warn, Error, None }
