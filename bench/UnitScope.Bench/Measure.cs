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

    /// <param name="liveHeap">Sample the managed heap after a full blocking collection at every progress
    /// report, i.e. between batches (slows the run: for memory figures only; between batches, because a
    /// collection during a forward pass can free a temporary TorchSharp Scalar libtorch is still using);
    /// else the heap's size after the GC's own last collection, every 5 ms.</param>
    public static DissectRun Dissect(ModelSession model, ISegmentationDataset data, IReadOnlyList<string> layers, int batchSize, bool liveHeap = false) =>
        Dissect(new ModelActivationSource(model), data, layers, batchSize, liveHeap);

    public static DissectRun Dissect(IActivationSource source, ISegmentationDataset data, IReadOnlyList<string> layers, int batchSize, bool liveHeap = false)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        ResetPeakRss();
        using var sampler = new ManagedPeak(liveHeap);
        double pass1 = 0, cpu = CpuNow();
        var clock = Stopwatch.StartNew();
        var progress = new SyncProgress<DissectionProgress>(p =>
        {
            if (p.Phase == Engine.Analysis.AnalysisPhase.Thresholds) pass1 = clock.Elapsed.TotalSeconds;
            if (liveHeap) sampler.SampleLive();
        });
        var result = Dissector.Run(source, data, layers, new DissectionOptions { BatchSize = batchSize }, progress, CancellationToken.None);
        double seconds = clock.Elapsed.TotalSeconds;
        // What the run itself held: the peak less what the process held before it.
        return new DissectRun(seconds, CpuNow() - cpu, pass1, PeakRssMiB(), sampler.PeakMiB - before / 1048576.0, result);
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
        readonly bool _live;
        long _peak;
        public ManagedPeak(bool live)
        {
            _live = live;
            _timer = new Timer(_ => { if (!_live) Sample(GC.GetGCMemoryInfo().HeapSizeBytes); }, null, 0, 5);
        }

        /// <summary>What survives a full collection now (call it between batches).</summary>
        public void SampleLive() => Sample(GC.GetTotalMemory(forceFullCollection: true));

        /// <summary>Otherwise the heap's size after the GC's last collection: what was live then plus
        /// what got promoted since and awaits a full collection.</summary>
        void Sample(long now)
        {
            long peak;
            do peak = Interlocked.Read(ref _peak); while (now > peak && Interlocked.CompareExchange(ref _peak, now, peak) != peak);
        }
        public double PeakMiB => Interlocked.Read(ref _peak) / 1048576.0;
        public void Dispose() => _timer.Dispose();
    }
}
