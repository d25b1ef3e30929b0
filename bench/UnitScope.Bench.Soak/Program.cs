using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using SkiaSharp;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

// bench/soak: several clients' mixed load on one TCP daemon for a fixed time.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var options = args.Select((a, i) => (a, i)).Where(t => t.a.StartsWith("--")).ToDictionary(t => t.a[2..], t => t.i + 1 < args.Length ? args[t.i + 1] : "");
int seconds = int.Parse(options.GetValueOrDefault("seconds", "30"));
int clients = int.Parse(options.GetValueOrDefault("clients", "1"));
string modelName = options.GetValueOrDefault("model", "resnet18_small");
int inputSize = int.Parse(options.GetValueOrDefault("input-size", "112"));
// A checkpoint of one's own (a full-width torchvision model: bench/fullwidth/make_models.py) instead of a fixture.
string? ownCheckpoint = options.GetValueOrDefault("checkpoint");
string? architecture = options.GetValueOrDefault("architecture");

string repo = FindRepoRoot();
string cli = Path.Combine(repo, "server", "UnitScope.Cli", "bin", "Release", "net10.0", "unitscope.dll");
string workspace = Directory.CreateTempSubdirectory("unitscope-soak-").FullName;
if (ownCheckpoint is not null) modelName = Path.GetFileNameWithoutExtension(ownCheckpoint);
string checkpoint = Path.Combine(workspace, modelName + ".pth");
File.Copy(ownCheckpoint ?? Path.Combine(repo, "tests", "fixtures", "models", modelName + ".pth"), checkpoint);
string token = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = workspace };
foreach (var a in new[] { cli, "serve", "--tcp", "0", "--root", workspace }) start.ArgumentList.Add(a);
start.Environment["UNITSCOPE_TOKEN"] = token;
start.Environment["UNITSCOPE_CACHE"] = Path.Combine(workspace, "cache");
using var daemon = Process.Start(start)!;
var port = new TaskCompletionSource<int>();
daemon.ErrorDataReceived += (_, e) =>
{
    if (e.Data is { } line && Regex.Match(line, @"listening on 127\.0\.0\.1:(\d+)") is { Success: true } m) port.TrySetResult(int.Parse(m.Groups[1].Value));
};
daemon.BeginErrorReadLine();
var sockets = new List<TcpClient>();
try
{
    await port.Task.WaitAsync(TimeSpan.FromSeconds(60));
    var setup = await ConnectAsync();
    var model = await setup.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(checkpoint, Architecture: architecture, InputSize: [inputSize, inputSize]), TimeSpan.FromMinutes(2));
    var convs = model.Layers.Where(l => l.Kind == "Conv2d").ToList();
    Console.WriteLine($"daemon    pid {daemon.Id}, {model.Architecture} ({modelName}) at {inputSize} px, {convs.Count} conv layers; {clients} client(s) of each kind for {seconds} s");

    // The baseline, in the same run: hovers alone (nothing else running) for a third of the time.
    var quiet = new Stats();
    await HoverClientAsync(await ConnectAsync(), quiet, DateTime.UtcNow.AddSeconds(Math.Max(5, seconds / 3)), 99);

    var stats = new Stats();
    var memory = new MemoryWatch(daemon.Id);
    var deadline = DateTime.UtcNow.AddSeconds(seconds);
    var work = new List<Task>();
    for (int c = 0; c < clients; c++)
    {
        work.Add(HoverClientAsync(await ConnectAsync(), stats, deadline, c));
        work.Add(UnitMapClientAsync(await ConnectAsync(), model.ModelId, convs, stats, deadline, c));
        work.Add(OcclusionClientAsync(await ConnectAsync(), model.ModelId, stats, deadline, c, cancel: false));
        work.Add(OcclusionClientAsync(await ConnectAsync(), model.ModelId, stats, deadline, c, cancel: true));
    }
    var watching = memory.RunAsync(deadline);
    await Task.WhenAll(work);
    await watching;

    Console.WriteLine();
    Console.WriteLine($"{"method",-18} {"served",7} {"errors",7} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8}");
    foreach (var (method, s) in stats.ByMethod.OrderBy(kv => kv.Key))
    {
        var sorted = s.Latencies.Order().ToArray();
        Console.WriteLine($"{method,-18} {sorted.Length,7} {s.Errors,7} {Percentile(sorted, 50),8:0.0} {Percentile(sorted, 95),8:0.0} {Percentile(sorted, 99),8:0.0} {(sorted.Length > 0 ? sorted[^1] : 0),8:0.0}");
    }
    var total = stats.ByMethod.Values.Sum(s => s.Latencies.Count);
    var errors = stats.ByMethod.Values.Sum(s => s.Errors);
    Console.WriteLine($"requests served {total} in {seconds} s ({total / (double)seconds:0.0}/s), unexpected errors {errors}");
    Console.WriteLine($"daemon memory: start {memory.StartMb:0} MB, peak {memory.PeakMb:0} MB (VmHWM {memory.HighWaterMb():0} MB), end {memory.NowMb():0} MB");
    var hover = stats.ByMethod.GetValueOrDefault("hover");
    if (hover is not null)
    {
        double[] busy = [.. hover.Latencies.Order()], alone = [.. quiet.ByMethod["hover"].Latencies.Order()];
        var p95 = Percentile(busy, 95);
        Console.WriteLine($"hover alone (baseline, same run): p50 {Percentile(alone, 50):0.0} ms, p95 {Percentile(alone, 95):0.0} ms, p99 {Percentile(alone, 99):0.0} ms ({alone.Length} hovers)");
        Console.WriteLine($"hover p95 {p95:0.0} ms while analyses ran ({p95 / Math.Max(0.1, Percentile(alone, 95)):0.0}x alone): {(p95 < 50 ? "under" : "OVER")} the 50 ms target");
    }
    return errors == 0 && !daemon.HasExited ? 0 : 1;
}
finally
{
    foreach (var s in sockets) s.Dispose();
    if (!daemon.HasExited) daemon.Kill();
    try { Directory.Delete(workspace, recursive: true); } catch (IOException) { }
}

async Task<LspClient> ConnectAsync()
{
    // As an editor's client should: no Nagle delay between a message's header and its body.
    var socket = new TcpClient { NoDelay = true };
    await socket.ConnectAsync("127.0.0.1", port.Task.Result);
    sockets.Add(socket);
    var stream = socket.GetStream();
    var client = new LspClient(stream, stream);
    await client.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams(InitializationOptions: new InitializationOptions(token)));
    await client.NotifyAsync(Methods.Initialized, new { });
    return client;
}

// The editor: a training script open, the mouse over its layers (a hover every 20 ms).
static async Task HoverClientAsync(LspClient client, Stats stats, DateTime deadline, int seed)
{
    string[] lines =
    [
        "class Net(nn.Module):",
        "    def __init__(self):",
        "        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3)",
        "        self.layer1 = make_layer(64)",
        "        self.layer4 = make_layer(512)",
        "        self.fc = nn.Linear(512, 1000)",
        // Every layer of ResNet-18's top level: a class that lacks one is no part of the model and gets no hover.
        "        self.bn1 = nn.BatchNorm2d(64)",
        "        self.layer2 = make_layer(128)",
        "        self.layer3 = make_layer(256)",
        "    def forward(self, x):",
        "        x = self.layer4[1].conv2(self.layer1[0].conv1(x))",
    ];
    var uri = $"file:///soak/net{seed}.py";
    await client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(uri, "python", 1, string.Join("\n", lines))));
    (int Line, int Character)[] spots = [(2, 14), (3, 14), (4, 14), (5, 14), (10, 22), (10, 40)];
    var random = new Random(seed);
    while (DateTime.UtcNow < deadline)
    {
        var (line, character) = spots[random.Next(spots.Length)];
        await stats.TimeAsync("hover", () => client.RequestAsync(Methods.Hover, new HoverParams(new TextDocumentIdentifier(uri), new Position(line, character))));
        await Task.Delay(20);
    }
}

static async Task UnitMapClientAsync(LspClient client, string modelId, List<LayerInfo> convs, Stats stats, DateTime deadline, int seed)
{
    var random = new Random(100 + seed);
    while (DateTime.UtcNow < deadline)
    {
        var layer = convs[random.Next(convs.Count)];
        var image = NoiseImage(random);
        await stats.TimeAsync("unitMap", () => client.RequestAsync(Methods.UnitMap,
            new UnitMapParams(modelId, layer.Name, random.Next(layer.Units), ImageBase64: image)));
    }
}

// Occlusions of new images (nothing cached), one after another (the last cancelled at the deadline); or started
// and cancelled after up to 300 ms.
static async Task OcclusionClientAsync(LspClient client, string modelId, Stats stats, DateTime deadline, int seed, bool cancel)
{
    var random = new Random(200 + seed + (cancel ? 50 : 0));
    while (DateTime.UtcNow < deadline)
    {
        var request = new OccludeParams(modelId, 16, 8, ImageBase64: NoiseImage(random));
        var watch = Stopwatch.StartNew();
        var (id, response) = await client.SendRequestAsync(Methods.Occlude, request);
        if (!cancel)
        {
            var left = deadline - DateTime.UtcNow;
            if (await Task.WhenAny(response, Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero)) != response)
            {
                // The soak is bounded: an occlusion still running at the end is cancelled, not waited for.
                await client.NotifyAsync(Methods.CancelRequest, new { id });
                await response.WaitAsync(TimeSpan.FromMinutes(2));
                break;
            }
            stats.Record("occlude", watch.Elapsed.TotalMilliseconds, LspClient.ErrorOf(await response) is not null);
            continue;
        }
        await Task.Delay(random.Next(300));
        var sent = Stopwatch.StartNew();
        await client.NotifyAsync(Methods.CancelRequest, new { id });
        var answer = await response.WaitAsync(TimeSpan.FromMinutes(5));
        stats.Record("cancel→answer", sent.Elapsed.TotalMilliseconds,
            LspClient.ErrorOf(answer) is { } e && e.Code != ErrorCodes.RequestCancelled);
    }
}

static string NoiseImage(Random random)
{
    using var bitmap = new SKBitmap(96, 96, SKColorType.Rgba8888, SKAlphaType.Opaque);
    var pixels = new byte[96 * 96 * 4];
    random.NextBytes(pixels);
    for (int i = 3; i < pixels.Length; i += 4) pixels[i] = 255;
    System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
    using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
    return Convert.ToBase64String(data.ToArray());
}

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
    throw new InvalidOperationException("Backend.sln not found above " + AppContext.BaseDirectory);
}

/// <summary>Latencies and errors per method, from every client.</summary>
sealed class Stats
{
    public sealed class Method
    {
        public List<double> Latencies { get; } = [];
        public int Errors;
    }

    public Dictionary<string, Method> ByMethod { get; } = [];

    public void Record(string method, double ms, bool error)
    {
        lock (ByMethod)
        {
            if (!ByMethod.TryGetValue(method, out var m)) ByMethod[method] = m = new Method();
            m.Latencies.Add(ms);
            if (error) m.Errors++;
        }
    }

    public async Task TimeAsync(string method, Func<Task<JsonElement>> send)
    {
        var watch = Stopwatch.StartNew();
        bool error;
        try
        {
            error = LspClient.ErrorOf(await send()) is not null;
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
            error = true;
        }
        Record(method, watch.Elapsed.TotalMilliseconds, error);
    }
}

/// <summary>The daemon's resident memory, sampled every 100 ms (/proc/PID/status).</summary>
sealed class MemoryWatch(int pid)
{
    public double StartMb { get; } = Read(pid, "VmRSS");
    public double PeakMb { get; private set; }

    public async Task RunAsync(DateTime until)
    {
        while (DateTime.UtcNow < until)
        {
            PeakMb = Math.Max(PeakMb, Read(pid, "VmRSS"));
            await Task.Delay(100);
        }
    }

    public double NowMb() => Read(pid, "VmRSS");
    public double HighWaterMb() => Read(pid, "VmHWM");

    static double Read(int pid, string field) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
}
