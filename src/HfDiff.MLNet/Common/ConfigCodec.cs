using System.Text;
using System.Text.Json;

namespace HfDiff.MLNet.Common;

/// <summary>
/// A transform's configuration as it travels inside a saved model: base64 of its JSON, safe inside an ML.NET expression
/// string literal. Fields are included because option records hold value tuples (e.g. (min, max) ranges).
/// </summary>
internal static class ConfigCodec
{
    static readonly JsonSerializerOptions Options = new() { IncludeFields = true };

    public static string Encode<T>(T config) => Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(config, Options)));

    public static T Decode<T>(string encoded, string what) =>
        JsonSerializer.Deserialize<T>(Encoding.UTF8.GetString(Convert.FromBase64String(encoded)), Options)
        ?? throw new InvalidDataException($"Empty {what} configuration in the model.");
}
