using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Rendering.Charts;

namespace UnitScope.Rendering.Report;

/// <summary>How a report is drawn.</summary>
public sealed record ReportOptions
{
    /// <summary>Side of each top image in a unit card, in pixels.</summary>
    public int TileSize { get; init; } = 96;
    /// <summary>Shown as the page's heading.</summary>
    public string Title { get; init; } = "UnitScope dissection report";
}

/// <summary>What the report says the dissected model is.</summary>
public sealed record ReportSubject(string CheckpointPath, string Architecture, string CheckpointHash);

/// <summary>Where report writing is: cards drawn for a layer so far.</summary>
public sealed record ReportProgress(string Layer, int UnitsDone, int UnitsTotal);

/// <summary>
/// A dissection report that works offline: <c>index.html</c> (CSS and script inline, nothing fetched
/// from anywhere), <c>images/</c> with each layer's summary chart and each unit's card, and
/// <c>dissection.json</c> with the results. Per layer: labelled units per category, the chart, and
/// a table of every unit (label, category, IoU, threshold, card) that sorts by any column and
/// filters by text, category and labelled/unlabelled. Category colours are <see cref="CategoryPalette"/>'s.
/// Draws data and runs no model: the cards' masks come from the results (or a <see cref="UnitMaskSource"/>).
/// The page and the summaries are written first, then the cards, best units first, across the cores.
/// </summary>
public static class DissectionReport
{
    public const string IndexFile = "index.html";
    public const string ImagesFolder = "images";
    public const string DataFile = "dissection.json";

    /// <summary>Writes the report into <paramref name="outDir"/> (created; files of an earlier report are replaced) and returns the path of index.html.</summary>
    /// <param name="masks">Where the cards' masks come from; default: the results' own (<see cref="TopImageTiles.FromResult"/>).</param>
    /// <exception cref="UnitScopeException">An image of the dataset cannot be read; InvalidArgument when the folder cannot be written.</exception>
    public static string Write(string outDir, ReportSubject subject, ISegmentationDataset dataset, IReadOnlyList<LayerDissection> layers,
        ReportOptions? options = null, IProgress<ReportProgress>? progress = null, CancellationToken ct = default, UnitMaskSource? masks = null)
    {
        ArgumentNullException.ThrowIfNull(outDir);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(layers);
        var o = options ?? new ReportOptions();
        masks ??= TopImageTiles.FromResult;
        string root = Path.GetFullPath(outDir);
        string images = Path.Combine(root, ImagesFolder);
        CreateFolder(images);

        // What is looked at first: the page, the data and each layer's summary.
        var slugs = Slugs(layers.Select(l => l.Layer).ToList());
        for (int i = 0; i < layers.Count; i++)
            WriteFile(Path.Combine(images, $"{slugs[i]}-summary.png"), LayerSummaryChart.RenderPng(layers[i]));
        WriteFile(Path.Combine(root, DataFile), JsonSerializer.SerializeToUtf8Bytes(layers, Engine.Storage.DissectionStore.JsonOptions));
        string index = Path.Combine(root, IndexFile);
        WriteFile(index, Encoding.UTF8.GetBytes(Html(subject, dataset, layers, slugs, o)));

        var tiles = new TopImageTiles(dataset, o.TileSize);
        for (int i = 0; i < layers.Count; i++)
            WriteCards(images, slugs[i], layers[i], tiles, masks, o, progress, ct);
        return index;
    }

    /// <summary>
    /// A layer's cards, best units first, in parallel. They depend only on the result (its key) and the
    /// tile size: a report rewritten for the same result keeps them.
    /// </summary>
    static void WriteCards(string images, string slug, LayerDissection layer, TopImageTiles tiles, UnitMaskSource masks, ReportOptions o,
        IProgress<ReportProgress>? progress, CancellationToken ct)
    {
        string stampPath = Path.Combine(images, $"{slug}-cards.stamp");
        string stamp = $"unitscope-cards v1 {Engine.Storage.DissectionKey.For(layer).Value} tile {o.TileSize} units {string.Join(",", layer.Units.Select(u => u.Unit))}";
        if (ReadText(stampPath) == stamp && layer.Units.All(u => File.Exists(Path.Combine(images, CardFile(slug, u.Unit)))))
        {
            progress?.Report(new ReportProgress(layer.Layer, layer.Units.Count, layer.Units.Count));
            return;
        }
        TryDelete(stampPath);
        int done = 0;
        progress?.Report(new ReportProgress(layer.Layer, 0, layer.Units.Count));
        var order = layer.Units.OrderByDescending(u => u.Label?.Iou ?? -1).ThenByDescending(u => u.Best?.Iou ?? 0).ThenBy(u => u.Unit)
            .Select(u => u.Unit).ToList();
        var gate = new object();
        // Masks in chunks (a model-backed source runs the model per chunk), each chunk's cards across the cores.
        foreach (var chunk in order.Chunk(64))
        {
            var work = masks(layer, chunk, ct).ToList();
            try
            {
                Parallel.ForEach(work, Engine.Runtime.ParallelWork.Options(ct), item =>
                {
                    var (unit, unitMasks) = item;
                    WriteFile(Path.Combine(images, CardFile(slug, unit.Unit)), UnitCard.RenderPng(layer.Layer, unit, tiles.For(unit, unitMasks), o.TileSize));
                    lock (gate) progress?.Report(new ReportProgress(layer.Layer, ++done, layer.Units.Count));
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]); // the image's or the folder's own error
            }
        }
        WriteFile(stampPath, Encoding.UTF8.GetBytes(stamp));
    }

    /// <summary>The page itself (also used by tests): every path in it is relative to the report folder.</summary>
    public static string Html(ReportSubject subject, ISegmentationDataset dataset, IReadOnlyList<LayerDissection> layers, ReportOptions? options = null) =>
        Html(subject, dataset, layers, Slugs(layers.Select(l => l.Layer).ToList()), options ?? new ReportOptions());

    static string Html(ReportSubject subject, ISegmentationDataset dataset, IReadOnlyList<LayerDissection> layers, IReadOnlyList<string> slugs, ReportOptions o)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(E(o.Title)).Append(" · ").Append(E(Path.GetFileName(subject.CheckpointPath))).Append("</title>\n");
        html.Append("<style>\n").Append(Css).Append(CategoryCss(layers)).Append("</style>\n</head>\n<body>\n");

        html.Append("<header>\n<h1>").Append(E(o.Title)).Append("</h1>\n<dl class=\"facts\">\n");
        Fact(html, "Checkpoint", $"{Path.GetFileName(subject.CheckpointPath)} ({subject.Architecture}, sha256 {Short(subject.CheckpointHash)})");
        Fact(html, "Probe data", $"{dataset.Root} ({dataset.Count} images, {dataset.Concepts.Count} concepts in {dataset.Categories.Count} categories, hash {Short(dataset.ContentHash)})");
        if (layers.Count > 0)
        {
            var d = layers[0].Options;
            Fact(html, "Method", string.Create(CultureInfo.InvariantCulture,
                $"network dissection: t_u = top {d.Quantile * 100:0.###}% of each unit's activations; label = best concept when IoU > {d.IouThreshold:0.###}; top {d.TopImages} images per unit"));
        }
        html.Append("</dl>\n");
        if (layers.Count > 1)
        {
            html.Append("<nav>");
            for (int i = 0; i < layers.Count; i++)
                html.Append("<a href=\"#").Append(slugs[i]).Append("\">").Append(E(layers[i].Layer)).Append("</a> ");
            html.Append("</nav>\n");
        }
        html.Append("</header>\n<main>\n");

        for (int i = 0; i < layers.Count; i++)
            Layer(html, layers[i], slugs[i]);

        html.Append("</main>\n<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    static void Layer(StringBuilder html, LayerDissection layer, string slug)
    {
        int labelled = layer.Units.Count(u => u.Label is not null);
        var counts = LayerSummaryChart.Counts(layer);
        int concepts = layer.Units.Where(u => u.Label is not null).Select(u => (u.Label!.Category, u.Label.Concept)).Distinct().Count();
        html.Append("<section class=\"layer\" id=\"").Append(slug).Append("\">\n");
        html.Append("<h2>").Append(E(layer.Layer)).Append("</h2>\n");
        html.Append("<p class=\"summary\"><strong>").Append(labelled).Append("</strong> of ").Append(layer.Units.Count)
            .Append(" units labelled, ").Append(concepts).Append(concepts == 1 ? " concept" : " concepts")
            .Append(" (").Append(layer.ImageCount).Append(" probe images");
        if (layer.SkippedImages.Count > 0)
            html.Append("; <span class=\"skipped\" title=\"").Append(E(string.Join("\n", layer.SkippedImages.Take(20).Select(s => s.Problem))))
                .Append("\">").Append(layer.SkippedImages.Count).Append(layer.SkippedImages.Count == 1 ? " could not be read and was" : " could not be read and were")
                .Append(" left out</span>");
        html.Append(')');
        foreach (var (category, units) in counts)
            html.Append(" <span class=\"chip ").Append(CategoryClass(category)).Append("\">").Append(units).Append(' ').Append(E(category)).Append("</span>");
        html.Append("</p>\n");
        html.Append("<img class=\"chart\" src=\"").Append(ImagesFolder).Append('/').Append(slug).Append("-summary.png\" alt=\"")
            .Append(E($"Concepts detected by units of {layer.Layer}")).Append("\">\n");

        var categories = CategoryPalette.Order(layer.Units.Select(u => u.Label?.Category ?? u.Best?.Category).OfType<string>());
        html.Append("<div class=\"controls\">\n<input type=\"search\" class=\"filter\" placeholder=\"Filter: unit, concept or category\" aria-label=\"Filter units\">\n");
        html.Append("<select class=\"category\" aria-label=\"Category\"><option value=\"\">all categories</option>");
        foreach (string category in categories)
            html.Append("<option value=\"").Append(E(category)).Append("\">").Append(E(category)).Append("</option>");
        html.Append("</select>\n<select class=\"status\" aria-label=\"Labelled\"><option value=\"\">all units</option>")
            .Append("<option value=\"labelled\">labelled</option><option value=\"unlabelled\">unlabelled</option></select>\n");
        html.Append("<span class=\"shown\"></span>\n</div>\n");

        html.Append("<table class=\"units\">\n<thead><tr>")
            .Append("<th data-key=\"unit\" data-type=\"number\">Unit</th>")
            .Append("<th data-key=\"label\">Label</th>")
            .Append("<th data-key=\"category\">Category</th>")
            .Append("<th data-key=\"iou\" data-type=\"number\" title=\"IoU of the label, or of the best concept when the unit has no label\">IoU</th>")
            .Append("<th data-key=\"threshold\" data-type=\"number\" title=\"t_u: activations above it count as the unit being on\">Threshold</th>")
            .Append("<th class=\"card\">Top images (mask outlined)</th></tr></thead>\n<tbody>\n");
        foreach (var unit in layer.Units.OrderBy(u => u.Unit))
        {
            var shown = unit.Label ?? unit.Best;
            string card = $"{ImagesFolder}/{CardFile(slug, unit.Unit)}";
            html.Append("<tr class=\"").Append(unit.Label is null ? "unlabelled" : "labelled")
                .Append("\" data-unit=\"").Append(unit.Unit)
                .Append("\" data-label=\"").Append(E(shown?.Concept ?? ""))
                .Append("\" data-category=\"").Append(E(shown?.Category ?? ""))
                .Append("\" data-iou=\"").Append(N(shown?.Iou ?? 0))
                .Append("\" data-threshold=\"").Append(N(unit.Threshold)).Append("\">");
            html.Append("<td class=\"num\">").Append(unit.Unit).Append("</td>");
            if (unit.Label is { } label)
                html.Append("<td class=\"label\">").Append(E(label.Concept)).Append("</td>");
            else
                html.Append("<td class=\"label none\">").Append(unit.Best is { } b ? "best: " + E(b.Concept) : "—").Append("</td>");
            html.Append("<td>");
            if (shown is not null)
                html.Append("<span class=\"chip ").Append(CategoryClass(shown.Category)).Append(unit.Label is null ? " faint" : "").Append("\">")
                    .Append(E(shown.Category)).Append("</span>");
            html.Append("</td>");
            html.Append("<td class=\"num\">").Append(shown is null ? "—" : shown.Iou.ToString("0.000", CultureInfo.InvariantCulture)).Append("</td>");
            html.Append("<td class=\"num\">").Append(unit.Threshold.ToString("G4", CultureInfo.InvariantCulture)).Append("</td>");
            html.Append("<td class=\"card\"><a href=\"").Append(card).Append("\"><img loading=\"lazy\" src=\"").Append(card)
                .Append("\" alt=\"").Append(E($"{layer.Layer} unit {unit.Unit}")).Append("\"></a></td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n</section>\n");
    }

    static void Fact(StringBuilder html, string name, string value) =>
        html.Append("<dt>").Append(E(name)).Append("</dt><dd>").Append(E(value)).Append("</dd>\n");

    /// <summary>One CSS class per category present, coloured from the palette.</summary>
    static string CategoryCss(IReadOnlyList<LayerDissection> layers)
    {
        var categories = layers.SelectMany(l => l.Units)
            .SelectMany(u => new[] { u.Label?.Category, u.Best?.Category })
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        var css = new StringBuilder();
        foreach (string category in categories)
            css.Append('.').Append(CategoryClass(category)).Append(" { --c: ").Append(CategoryPalette.HexOf(category)).Append("; }\n");
        return css.ToString();
    }

    /// <summary>A CSS class name for any category name: "cat-" and the name's letters/digits, plus a hash when anything was dropped.</summary>
    static string CategoryClass(string category)
    {
        string safe = new(category.Where(char.IsAsciiLetterOrDigit).ToArray());
        return safe.Length == category.Length && safe.Length > 0
            ? "cat-" + safe
            : "cat-" + safe + "-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(category)))[..8];
    }

    /// <summary>File-name-safe, unique names for the layers, in order.</summary>
    static IReadOnlyList<string> Slugs(IReadOnlyList<string> layers)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var slugs = new List<string>();
        foreach (string layer in layers)
        {
            string slug = new(layer.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
            if (slug.Length == 0 || slug.StartsWith('.')) slug = "layer" + slug;
            string unique = slug;
            for (int n = 2; !used.Add(unique); n++)
                unique = $"{slug}-{n}";
            slugs.Add(unique);
        }
        return slugs;
    }

    static string CardFile(string slug, int unit) => $"{slug}-unit{unit:D4}.png";

    static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    static string E(string text) => WebUtility.HtmlEncode(text);

    static string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    static void CreateFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Cannot create the report folder '{folder}': {e.Message}", e);
        }
    }

    static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    static void WriteFile(string path, byte[] bytes)
    {
        try
        {
            File.WriteAllBytes(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Cannot write '{path}': {e.Message}", e);
        }
    }

    const string Css = """
        :root { color-scheme: light; --ink: #222; --muted: #666; --line: #ddd; --bg: #fff; --head: #f6f6f6; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
        header, main { padding: 0 24px; }
        h1 { font-size: 22px; margin: 20px 0 8px; }
        h2 { font-size: 18px; margin: 0 0 6px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 12px; color: var(--muted); }
        .facts dt { font-weight: 600; }
        .facts dd { margin: 0; word-break: break-all; }
        nav { margin: 8px 0 4px; }
        nav a { margin-right: 10px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
        .layer { border-top: 1px solid var(--line); padding: 18px 0 28px; }
        .summary { margin: 0 0 10px; }
        .chip { display: inline-block; padding: 0 7px; border-radius: 9px; background: var(--c, #999); color: #fff; font-weight: 600; font-size: 12px; line-height: 18px; }
        .chip.faint { background: transparent; color: var(--c, #999); border: 1px solid var(--c, #999); }
        .chart { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); margin: 6px 0 12px; }
        .controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
        .controls input { min-width: 260px; padding: 4px 6px; }
        .shown { color: var(--muted); }
        table.units { border-collapse: collapse; width: 100%; }
        .units th, .units td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: middle; }
        .units th { position: sticky; top: 0; background: var(--head); cursor: pointer; user-select: none; white-space: nowrap; }
        .units th.card { cursor: default; }
        .units th[aria-sort="ascending"]::after { content: " \25B2"; }
        .units th[aria-sort="descending"]::after { content: " \25BC"; }
        .units td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .units td.label { font-weight: 600; }
        .units td.none { font-weight: normal; color: var(--muted); }
        .units tr.unlabelled td.card img { opacity: 0.75; }
        .units td.card img { display: block; max-height: 120px; max-width: 100%; }

        """;

    const string Script = """
        (function () {
          'use strict';
          document.querySelectorAll('section.layer').forEach(function (section) {
            var table = section.querySelector('table.units');
            var body = table.tBodies[0];
            var rows = Array.prototype.slice.call(body.rows);
            var filter = section.querySelector('input.filter');
            var category = section.querySelector('select.category');
            var status = section.querySelector('select.status');
            var shown = section.querySelector('.shown');

            function apply() {
              var text = filter.value.trim().toLowerCase();
              var cat = category.value, st = status.value, count = 0;
              rows.forEach(function (row) {
                var d = row.dataset;
                var hay = ('unit ' + d.unit + ' ' + d.label + ' ' + d.category).toLowerCase();
                var ok = (!text || hay.indexOf(text) >= 0) && (!cat || d.category === cat) && (!st || row.classList.contains(st));
                row.hidden = !ok;
                if (ok) count++;
              });
              shown.textContent = count + ' of ' + rows.length + ' units';
            }

            table.querySelectorAll('th[data-key]').forEach(function (th) {
              th.addEventListener('click', function () {
                var key = th.dataset.key, numeric = th.dataset.type === 'number';
                var descending = th.getAttribute('aria-sort') !== 'descending';
                if (th.getAttribute('aria-sort') === null) descending = numeric && key !== 'unit';
                table.querySelectorAll('th').forEach(function (other) { other.removeAttribute('aria-sort'); });
                th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
                rows.sort(function (a, b) {
                  var x = a.dataset[key], y = b.dataset[key], c;
                  if (numeric) c = parseFloat(x) - parseFloat(y);
                  else c = x.localeCompare(y);
                  if (c === 0) c = parseInt(a.dataset.unit, 10) - parseInt(b.dataset.unit, 10);
                  return descending ? -c : c;
                });
                rows.forEach(function (row) { body.appendChild(row); });
              });
            });

            filter.addEventListener('input', apply);
            category.addEventListener('change', apply);
            status.addEventListener('change', apply);
            apply();
          });
        })();

        """;
}
