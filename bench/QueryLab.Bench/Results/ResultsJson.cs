using System.Text.Json;
using System.Text.Json.Serialization;
using QueryLab.Seed;

namespace QueryLab.Bench.Results;

/// <summary>Reads and writes results.json; a file that cannot be read is a clear error, never a half-read run.</summary>
public static class ResultsJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize(RunResults r) => JsonSerializer.Serialize(r, Options);

    /// <summary>The schemaVersion a results.json declares; null when the file is missing, not JSON or has none.</summary>
    public static int? SchemaVersionOf(string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("schemaVersion", out var v) && v.TryGetInt32(out var n) ? n : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Reads a run: a results.json file, or a run folder holding one.</summary>
    public static RunResults Read(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "results.json") : path;
        if (!File.Exists(file))
        {
            throw LabException.BadInput($"{file} does not exist; give a run folder (reports/<run-id>) or its results.json");
        }

        RunResults? r;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            if (!doc.RootElement.TryGetProperty("schemaVersion", out var v) || v.ValueKind != JsonValueKind.Number)
            {
                throw LabException.BadInput($"{file} is not a QueryLab results.json (no schemaVersion); give the results.json of a QueryLab run");
            }

            if (v.GetInt32() != RunResults.CurrentSchemaVersion)
            {
                throw LabException.BadInput($"{file} has schema version {v.GetInt32()}, this QueryLab reads version {RunResults.CurrentSchemaVersion}; rerun the baseline with this version");
            }

            r = doc.RootElement.Deserialize<RunResults>(Options);
        }
        catch (JsonException ex)
        {
            throw LabException.BadInput($"{file} is not valid JSON (truncated or corrupt: {ex.Message}); regenerate it with a new run", ex);
        }

        return r ?? throw LabException.BadInput($"{file} is empty; regenerate it with a new run");
    }
}
