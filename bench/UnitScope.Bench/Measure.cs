using System.Diagnostics;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;

namespace UnitScope.Bench;

static class Measure
{
    public sealed record DissectRun(double Seconds, double CpuSeconds, double Pass1Seconds, double PeakRssMiB, double PeakManagedMiB, IReadOnlyList<LayerDissection> Result);

    static double CpuNow() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); } catch (Exception) { return "?"; }
    }

    /// <summary>Forward passes only: load the images, run them with the layers hooked, nothing else. Wall and CPU seconds.</summary>
    public static (double Wall, double Cpu) Forward(ModelSession model, ISegmentationDataset data, IReadOnlyList<string> layers, int batchSize)
    {
        double cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            var images = Enumerable.Range(start, Math.Min(batchSize, data.Count - start)).Select(i => data.Load(i).Image).ToList();
            model.ForwardBatch(images, [.. layers], _ => 0);
        }
        return (clock.Elapsed.TotalSeconds, CpuNow() - cpu);
    }

    public static DissectRun Dissect(ModelSession model, ISegmentationDataset data, IReadOnlyList<string> layers, int batchSize)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        ResetPeakRss();
        using var sampler = new ManagedPeak();
        double pass1 = 0, cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        var progress = new Sync(p => { if (p.Phase == "thresholds") pass1 = clock.Elapsed.TotalSeconds; });
        var result = Dissector.Run(model, data, layers, new DissectionOptions { BatchSize = batchSize }, progress, CancellationToken.None);
        double seconds = clock.Elapsed.TotalSeconds;
        return new DissectRun(seconds, CpuNow() - cpu, pass1, PeakRssMiB(), sampler.PeakMiB, result);
    }

    /// <summary>Linux: writing 5 to clear_refs resets VmHWM (the peak resident set) to the current RSS.</summary>
    static void ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (Exception) { }
    }

    static double PeakRssMiB()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        catch (Exception)
        {
            return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        }
    }

    sealed class ManagedPeak : IDisposable
    {
        readonly Timer _timer;
        long _peak;
        public ManagedPeak() => _timer = new Timer(_ => Sample(), null, 0, 5);
        void Sample()
        {
            // The heap's size after the last collection: what was live then (plus fragmentation), not
            // garbage waiting for the next one (which depends on the GC's budget, not on the run).
            long now = GC.GetGCMemoryInfo().HeapSizeBytes;
            long peak;
            do peak = Interlocked.Read(ref _peak); while (now > peak && Interlocked.CompareExchange(ref _peak, now, peak) != peak);
        }
        public double PeakMiB { get { Sample(); return Interlocked.Read(ref _peak) / 1048576.0; } }
        public void Dispose() => _timer.Dispose();
    }

    sealed class Sync(Action<DissectionProgress> report) : IProgress<DissectionProgress>
    {
        public void Report(DissectionProgress value) => report(value);
    }
}
