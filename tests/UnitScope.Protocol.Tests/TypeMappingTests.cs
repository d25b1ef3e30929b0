using System.Text.Json;
using System.Text.Json.Serialization;
using UnitScope.Protocol.Generator;

namespace UnitScope.Protocol.Tests;

// Types that exercise the generator's mapping rules (not part of the protocol).
public sealed record Scalars(string Name, int Count, long Big, float Ratio, double Precise, bool Flag, decimal Money);
public sealed record Optionals(string? Name = null, int? Count = null, Inner? Inner = null, IReadOnlyList<int>? Sizes = null);
public sealed record Inner(string Value);
public sealed record Collections(
    float[] Floats,
    IReadOnlyList<string> Names,
    List<Inner> Inners,
    IReadOnlyList<IReadOnlyList<int>> Grid,
    IReadOnlyList<string?> MaybeNames,
    IReadOnlyDictionary<string, Inner> ByName,
    byte[] Bytes);
public sealed record Outer(Inner Inner, IReadOnlyList<Inner> Many, Color Color, Shade Shade);
public sealed record Renamed([property: JsonPropertyName("x_value")] int XValue, [property: JsonIgnore] int Hidden, JsonElement Anything);
public sealed record Empty;
public enum Color { Red = 1, Green = 2, Blue = 4 }
[JsonConverter(typeof(JsonStringEnumConverter<Shade>))]
public enum Shade { Light, [JsonStringEnumMemberName("very-dark")] VeryDark }

public class TypeMappingTests
{
    private static void Check(Type type, string expected) =>
        new TypeScriptGenerator().Declaration(type).Should().Be(expected.ReplaceLineEndings("\n"));

    [Fact]
    public void Scalars_map_to_string_number_boolean_with_camel_case_names() => Check(typeof(Scalars), """
        export interface Scalars {
          name: string;
          count: number;
          big: number;
          ratio: number;
          precise: number;
          flag: boolean;
          money: number;
        }

        """);

    [Fact]
    public void Nullable_references_and_values_become_optional_properties() => Check(typeof(Optionals), """
        export interface Optionals {
          name?: string;
          count?: number;
          inner?: Inner;
          sizes?: number[];
        }

        """);

    [Fact]
    public void Arrays_lists_dictionaries_and_nullable_elements() => Check(typeof(Collections), """
        export interface Collections {
          floats: number[];
          names: string[];
          inners: Inner[];
          grid: number[][];
          maybeNames: (string | null)[];
          byName: Record<string, Inner>;
          bytes: string;
        }

        """);

    [Fact]
    public void Nested_records_and_enums_are_referenced_by_name() => Check(typeof(Outer), """
        export interface Outer {
          inner: Inner;
          many: Inner[];
          color: Color;
          shade: Shade;
        }

        """);

    [Fact]
    public void Property_name_attributes_ignore_and_json_element() => Check(typeof(Renamed), """
        export interface Renamed {
          x_value: number;
          anything: unknown;
        }

        """);

    [Fact]
    public void Record_without_properties_is_an_empty_object_type() =>
        Check(typeof(Empty), "export type Empty = Record<string, never>;\n");

    [Fact]
    public void Numeric_enum_is_a_const_object_of_its_values() => Check(typeof(Color), """
        export const Color = {
          Red: 1,
          Green: 2,
          Blue: 4,
        } as const;
        export type Color = (typeof Color)[keyof typeof Color];

        """);

    [Fact]
    public void String_enum_uses_its_wire_names() => Check(typeof(Shade), """
        export const Shade = {
          Light: "Light",
          VeryDark: "very-dark",
        } as const;
        export type Shade = (typeof Shade)[keyof typeof Shade];

        """);

    [Fact]
    public void Xml_doc_summaries_become_jsdoc()
    {
        var docs = XmlDocs.Parse("""
            <doc><members>
              <member name="T:UnitScope.Protocol.Tests.Inner"><summary>An <c>inner</c> thing, see <see cref="T:UnitScope.Protocol.Tests.Outer"/>.</summary></member>
              <member name="P:UnitScope.Protocol.Tests.Inner.Value"><summary>
                 The value.
              </summary></member>
            </members></doc>
            """);
        new TypeScriptGenerator(docs).Declaration(typeof(Inner)).Should().Be("""
            /** An `inner` thing, see Outer. */
            export interface Inner {
              /** The value. */
              value: string;
            }

            """.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Wire_json_agrees_with_the_generated_names_and_optionality()
    {
        var json = JsonSerializer.Serialize(new UnitMapParams("m1", "features.0", 3), ProtocolJson.Options);
        json.Should().Be("""{"modelId":"m1","layer":"features.0","unit":3}""");
        JsonSerializer.Serialize(new MarkupContent(MarkupKind.Markdown, "x"), ProtocolJson.Options)
            .Should().Be("""{"kind":"markdown","value":"x"}""");
        JsonSerializer.Serialize(new ErrorData(ErrorKind.UnknownLayer), ProtocolJson.Options)
            .Should().Be("""{"kind":"UnknownLayer"}""");
        JsonSerializer.Serialize(new ServerCapabilities(true, TextDocumentSyncKind.Full), ProtocolJson.Options)
            .Should().Be("""{"hoverProvider":true,"textDocumentSync":1}""");
    }

    [Fact]
    public void Reading_enforces_required_properties()
    {
        var act = () => JsonSerializer.Deserialize<LoadModelParams>("""{"architecture":"vgg16"}""", ProtocolJson.Options);
        act.Should().Throw<JsonException>().WithMessage("*path*");
        JsonSerializer.Deserialize<LoadModelParams>("""{"path":"a.pth","inputSize":[32,32]}""", ProtocolJson.Options)!
            .InputSize.Should().Equal(32, 32);
    }
}
