using System.Globalization;
using System.Text;

namespace UnitScope.Engine.Datasets;

/// <summary>
/// The CSV dialect of Broden's files (what Python's <c>csv</c> module writes): comma-separated,
/// a header row, fields quoted with <c>"</c> only when they hold a comma, quote or line break
/// (<c>""</c> inside quotes), <c>\n</c> or <c>\r\n</c> line ends, optional UTF-8 BOM.
/// </summary>
internal static class BrodenCsv
{
    /// <summary>One data row: its fields and the 1-based line of the file it starts on.</summary>
    internal sealed record Row(int Line, string[] Fields);

    internal sealed record Table(string Path, string[] Header, IReadOnlyList<Row> Rows)
    {
        /// <summary>The column's position in the header, or -1.</summary>
        public int Column(string name) => Array.IndexOf(Header, name);

        /// <exception cref="UnitScopeException">InvalidArgument naming the file and the missing column.</exception>
        public int RequireColumn(string name)
        {
            int i = Column(name);
            if (i < 0)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"'{Path}' has no '{name}' column (its header is '{string.Join(",", Header)}').");
            return i;
        }

        public UnitScopeException Bad(Row row, string why) =>
            new(EngineErrorKind.InvalidArgument, $"'{Path}' line {row.Line}: {why}.");

        /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
        public int Int(Row row, int column, int min = int.MinValue, int max = int.MaxValue)
        {
            string text = row.Fields[column];
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            {
                // Tools that went through floats write counts as "12.0".
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
                    || d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue)
                    throw Bad(row, $"'{Header[column]}' must be a whole number, not '{text}'");
                value = (int)d;
            }
            if (value < min || value > max)
                throw Bad(row, $"'{Header[column]}' must be between {min} and {max}, not {value}");
            return value;
        }

        /// <summary>A finite number, or 0 for an empty field.</summary>
        public double Number(Row row, int column)
        {
            string text = row.Fields[column];
            if (text.Length == 0)
                return 0;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                throw Bad(row, $"'{Header[column]}' must be a number, not '{text}'");
            return value;
        }
    }

    /// <exception cref="UnitScopeException">FileNotFound when the file is missing; InvalidArgument when it is
    /// empty, has an unterminated quote, or a row whose field count differs from the header's.</exception>
    public static Table Read(string path, byte[]? bytes = null)
    {
        bytes ??= ReadBytes(path);
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"'{path}' is not UTF-8 text.");
        }
        if (text.Length > 0 && text[0] == '\uFEFF')
            text = text[1..];

        var records = Parse(text, path);
        if (records.Count == 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"'{path}' is empty: it needs a header row.");
        string[] header = records[0].Fields;
        var rows = new List<Row>(records.Count - 1);
        foreach (var record in records.Skip(1))
        {
            if (record.Fields.Length == 1 && record.Fields[0].Length == 0)
                continue; // a blank line
            if (record.Fields.Length != header.Length)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"'{path}' line {record.Line}: {record.Fields.Length} fields where the header has {header.Length}.");
            rows.Add(record);
        }
        return new Table(path, header, rows);
    }

    /// <exception cref="UnitScopeException">FileNotFound naming the file.</exception>
    public static byte[] ReadBytes(string path) => UserFile.ReadAllBytes(path, "Broden file");

    static List<Row> Parse(string text, string path)
    {
        var rows = new List<Row>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, rowLine = 1, i = 0;
        bool quoted = false, any = false;
        while (i < text.Length)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                    quoted = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                i++;
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true; any = true;
                    break;
                case ',':
                    fields.Add(field.ToString()); field.Clear(); any = true;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n':
                    fields.Add(field.ToString()); field.Clear();
                    rows.Add(new Row(rowLine, [.. fields]));
                    fields.Clear();
                    line++; rowLine = line; any = false;
                    break;
                default:
                    field.Append(c); any = true;
                    break;
            }
            i++;
        }
        if (quoted)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"'{path}' line {rowLine}: a quoted field is never closed.");
        if (any || field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            rows.Add(new Row(rowLine, [.. fields]));
        }
        return rows;
    }

    /// <summary>Writes one CSV line (with <c>\n</c>), quoting fields the way Python's csv module does.</summary>
    public static void WriteLine(StringBuilder sb, params string[] fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) sb.Append(',');
            string f = fields[i];
            if (f.AsSpan().IndexOfAny(",\"\r\n") >= 0)
                sb.Append('"').Append(f.Replace("\"", "\"\"")).Append('"');
            else
                sb.Append(f);
        }
        sb.Append('\n');
    }
}
