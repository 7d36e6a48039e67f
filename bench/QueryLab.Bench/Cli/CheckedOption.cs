using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>
/// The refusals of <see cref="CheckedOption{T}"/>s: parse errors that already say what to write (so they need no pointer to
/// --help), told apart from System.CommandLine's own (an unknown option, a missing value) by the result they were added to.
/// </summary>
public static class Refusals
{
    private static readonly ConditionalWeakTable<SymbolResult, string> Said = new();

    internal static void Add(ArgumentResult result, string message)
    {
        result.AddError(message);
        Said.AddOrUpdate(result.Parent ?? result, message);
    }

    /// <summary>Whether <paramref name="error"/> is a value refused by its option's own lookup.</summary>
    public static bool IsRefusal(ParseError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.SymbolResult is { } r && Said.TryGetValue(r, out var m) && m == error.Message;
    }
}

/// <summary>
/// An option parsed by System.CommandLine itself (its <c>CustomParser</c>) with the lookup of the room the value is for:
/// a value that lookup refuses is a parse error carrying the room's own one-line message (what is wrong and what to write
/// instead, exit 2), the same message whether the value came from a script or a person. With <paramref name="choices"/>,
/// <c>--help</c> lists the allowed values from the same list the lookup reads.
/// </summary>
public sealed class CheckedOption<T> : Option<T>
{
    public CheckedOption(string name, string[] aliases, Func<IReadOnlyList<string>, T> parse, IEnumerable<string>? choices = null)
        : base(name, aliases)
    {
        ArgumentNullException.ThrowIfNull(parse);
        CustomParser = r =>
        {
            try
            {
                return parse(r.Tokens.Select(t => t.Value).ToList());
            }
            catch (LabException ex) when (ex.Code == ExitCode.BadInput)
            {
                Refusals.Add(r, ex.Message);
                return default;
            }
        };
        if (choices is not null)
        {
            CompletionSources.Add(choices.ToArray());
        }
    }

    /// <summary>A single-valued option: the last value given is the one parsed.</summary>
    public CheckedOption(string name, Func<string, T> parse, IEnumerable<string>? choices = null, params string[] aliases)
        : this(name, aliases, tokens => parse(tokens.Count > 0 ? tokens[^1] : ""), choices)
    {
    }
}

/// <summary>A value with the text it is written as on the command line (what <c>--help</c> shows as the default): "10%" for 0.10.</summary>
public sealed record Written<T>(T Value, string Text)
{
    public override string ToString() => Text;
}
