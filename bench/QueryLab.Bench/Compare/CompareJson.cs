using System.Text.Json;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Compare;

/// <summary>compare.json: the report, machine-readable, in results.json's conventions (camelCase, ns, bytes).</summary>
public static class CompareJson
{
    public static string Serialize(CompareReport r) => JsonSerializer.Serialize(r, ResultsJson.Options);
}
