using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnitScope.Protocol;

/// <summary>The serializer settings both ends of the wire agree on.</summary>
public static class ProtocolJson
{
    /// <summary>
    /// camelCase names, nulls omitted (a nullable property is optional on the wire), required
    /// constructor parameters and non-nullable annotations enforced when reading.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = Create();

    public static JsonSerializerOptions Create() => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
