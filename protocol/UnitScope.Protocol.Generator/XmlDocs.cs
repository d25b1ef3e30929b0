using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace UnitScope.Protocol.Generator;

/// <summary>The summaries of a compiled assembly's XML documentation file, as one-line plain text.</summary>
public sealed partial class XmlDocs
{
    private readonly Dictionary<string, string> _summaries;

    private XmlDocs(Dictionary<string, string> summaries) => _summaries = summaries;

    public static XmlDocs Empty { get; } = new([]);

    /// <summary>The .xml beside the assembly; empty when there is none.</summary>
    public static XmlDocs For(Assembly assembly)
    {
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : Empty;
    }

    public static XmlDocs Parse(string xml)
    {
        var summaries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in XDocument.Parse(xml).Descendants("member"))
        {
            var name = (string?)member.Attribute("name");
            var summary = member.Element("summary");
            if (name is null || summary is null) continue;
            var text = ToText(summary);
            if (text.Length > 0) summaries[name] = text;
        }
        return new XmlDocs(summaries);
    }

    public string? Of(Type type) => Get("T:" + type.FullName);
    public string? Of(PropertyInfo property) => Get($"P:{property.DeclaringType!.FullName}.{property.Name}");
    public string? Of(FieldInfo field) => Get($"F:{field.DeclaringType!.FullName}.{field.Name}");

    private string? Get(string key) => _summaries.GetValueOrDefault(key.Replace('+', '.'));

    private static string ToText(XElement element)
    {
        var sb = new StringBuilder();
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XText text:
                    sb.Append(text.Value);
                    break;
                case XElement { Name.LocalName: "c" or "code" } code:
                    sb.Append('`').Append(code.Value).Append('`');
                    break;
                case XElement { Name.LocalName: "see" or "seealso" } see:
                    var cref = (string?)see.Attribute("cref") ?? (string?)see.Attribute("langword") ?? see.Value;
                    sb.Append(cref[(cref.LastIndexOfAny([':', '.']) + 1)..]);
                    break;
                case XElement other:
                    sb.Append(ToText(other));
                    break;
            }
        }
        return Whitespace().Replace(sb.ToString(), " ").Trim().Replace("*/", "*\\/");
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
