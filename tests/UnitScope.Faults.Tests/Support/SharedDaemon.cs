namespace UnitScope.Faults.Tests.Support;

/// <summary>
/// One daemon for the cases of a test class: starting one (the runtime, libtorch, the model) costs seconds on a
/// loaded two-core machine, and each case only adds to what the daemon must survive. A case that finds it dead
/// (an earlier case failed) gets a fresh one, so a failure is reported by the case that caused it.
/// </summary>
public abstract class SharedDaemon : IAsyncLifetime
{
    private Daemon? _daemon;

    protected abstract Task<Daemon> StartAsync();

    protected async Task<Daemon> CurrentAsync()
    {
        if (_daemon is { Alive: true }) return _daemon;
        if (_daemon is not null) await _daemon.DisposeAsync();
        _daemon = null;
        return _daemon = await StartAsync();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_daemon is not null) await _daemon.DisposeAsync();
    }
}

/// <summary>A stdio daemon with the sample model loaded, shared by a class's cases.</summary>
public sealed class SharedStdioDaemon : SharedDaemon
{
    private string _modelId = "";

    protected override async Task<Daemon> StartAsync()
    {
        var (d, id) = await Daemon.StdioWithModelAsync();
        _modelId = id;
        return d;
    }

    public async Task<(Daemon Daemon, string ModelId)> GetAsync()
    {
        var d = await CurrentAsync();
        return (d, _modelId);
    }
}

/// <summary>A TCP daemon (its workspace the root), shared by a class's cases; each case connects its own clients.</summary>
public sealed class SharedTcpDaemon : SharedDaemon
{
    protected override Task<Daemon> StartAsync() => Daemon.TcpAsync();

    public Task<Daemon> GetAsync() => CurrentAsync();
}
