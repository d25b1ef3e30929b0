using System.Diagnostics;
using System.Runtime.InteropServices;

namespace UnitScope.Engine.Tests.Hostile;

/// <summary>FIFOs made for a test, and a way to free a reader that blocked on one (so a failing test cannot hang the run).</summary>
internal sealed class SpecialFiles : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "unitscope-special-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<string> _fifos = [];

    public SpecialFiles() => Directory.CreateDirectory(Folder);

    /// <summary>A named pipe at <paramref name="name"/> in the folder.</summary>
    public string Fifo(string name)
    {
        var path = Path.Combine(Folder, name);
        using (var mkfifo = Process.Start("mkfifo", [path])) mkfifo.WaitForExit();
        System.IO.File.Exists(path).Should().BeTrue("mkfifo made it");
        _fifos.Add(path);
        return path;
    }

    public string File(string name, byte[] content)
    {
        var path = Path.Combine(Folder, name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Runs <paramref name="action"/> and returns what it threw, failing when it has not ended within the time.</summary>
    public Exception? Within(TimeSpan time, Action action)
    {
        var run = Task.Run(() =>
        {
            try
            {
                action();
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        });
        bool ended = run.Wait(time);
        if (!ended) Release();
        ended.Should().BeTrue($"reading a special file must be refused at once, not wait (it ran past {time.TotalSeconds} s)");
        return run.Result;
    }

    /// <summary>Opens each FIFO for writing without blocking and closes it: a reader blocked in open() gets end of file.</summary>
    public void Release()
    {
        foreach (var fifo in _fifos)
        {
            int fd = open(fifo, 0x1 | 0x800); // O_WRONLY | O_NONBLOCK: fails (ENXIO) when nobody reads
            if (fd >= 0) close(fd);
        }
    }

    public void Dispose()
    {
        Release();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc")]
    private static extern int close(int fd);
}
