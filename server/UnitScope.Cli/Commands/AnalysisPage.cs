using System.Net;
using System.Text;
using UnitScope.Engine;
using UnitScope.Engine.Storage;

namespace UnitScope.Cli.Commands;

/// <summary>The small offline HTML page each analysis command writes beside its PNGs and JSON.</summary>
static class AnalysisPage
{
    static readonly System.Text.Json.JsonSerializerOptions Json = new(DissectionStore.JsonOptions) { WriteIndented = true };

    public static void WriteJson<T>(string path, T value) => Sessions.WriteFile(path, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, Json));

    /// <summary>Writes DIR/index.html: title, summary, the images, a table, a link to the JSON; returns its path.</summary>
    public static string Write(string folder, string title, ModelSession session, string summary, IEnumerable<string> images,
        (string[] Head, IEnumerable<string[]> Rows) table, string json) =>
        Write(folder, title, $"{session.Architecture} · {Path.GetFileName(session.CheckpointPath)} · sha256 {session.CheckpointHash[..12]}…", summary, images, table, json);

    /// <summary>As the other, with <paramref name="meta"/> (what the page is about) on the grey line.</summary>
    public static string Write(string folder, string title, string meta, string summary, IEnumerable<string> images,
        (string[] Head, IEnumerable<string[]> Rows) table, string json)
    {
        var html = new StringBuilder();
        string E(string s) => WebUtility.HtmlEncode(s);
        html.Append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'\">")
            .Append("<title>").Append(E(title)).Append("</title><style>")
            .Append("body{font-family:'DejaVu Sans',system-ui,sans-serif;color:#222;margin:24px;max-width:1000px}")
            .Append("h1{font-size:20px}p.meta{color:#666;font-size:13px}img{max-width:100%;display:block;margin:16px 0;border:1px solid #eee}")
            .Append("table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}")
            .Append("td:first-child,th:first-child{text-align:left}th{color:#666;font-weight:normal}")
            .Append("</style></head><body>\n")
            .Append("<h1>").Append(E(title)).Append("</h1>\n")
            .Append("<p>").Append(E(summary)).Append("</p>\n")
            .Append("<p class=\"meta\">").Append(E(meta))
            .Append(" · <a href=\"").Append(E(json)).Append("\">").Append(E(json)).Append("</a></p>\n");
        foreach (string image in images)
            html.Append("<img src=\"").Append(E(image)).Append("\" alt=\"").Append(E(image)).Append("\">\n");
        var rows = table.Rows.ToList();
        if (rows.Count > 0) // none: nothing to tabulate (occlusion of a one-output model has no classes)
        {
            html.Append("<table><thead><tr>");
            foreach (string h in table.Head) html.Append("<th>").Append(E(h)).Append("</th>");
            html.Append("</tr></thead><tbody>\n");
            foreach (var row in rows)
            {
                html.Append("<tr>");
                foreach (string cell in row) html.Append("<td>").Append(E(cell)).Append("</td>");
                html.Append("</tr>\n");
            }
            html.Append("</tbody></table>\n");
        }
        html.Append("</body></html>\n");
        string path = Path.Combine(folder, "index.html");
        Sessions.WriteFile(path, Encoding.UTF8.GetBytes(html.ToString()));
        return path;
    }
}
