using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Ab;

/// <summary>Which build a step of <c>querylab ab</c> runs: the base ref's or the working tree's.</summary>
public enum AbSide
{
    Base,
    Head,
}

/// <summary>One bench run of an A/B: its round (from 1) and the side it measures.</summary>
public sealed record AbStep(int Round, AbSide Side)
{
    /// <summary>The folder name of the step's reports and the prefix of its output: base-1, head-1, …</summary>
    public string Name => $"{AbPlan.Name(Side)}-{Round}";
}

/// <summary>The pure parts of <c>querylab ab</c>'s plan: the interleaved order of the runs and each round's share of the iterations.</summary>
public static class AbPlan
{
    /// <summary>"base" or "head", as folder names, output prefixes and database names say it.</summary>
    public static string Name(AbSide side) => side == AbSide.Base ? "base" : "head";

    /// <summary>
    /// Rounds 1..<paramref name="rounds"/>, base and head in each; base first in odd rounds and head first in
    /// even ones, so a drift of the machine (warming up, a noisy neighbour arriving) falls on both sides alike.
    /// </summary>
    public static IReadOnlyList<AbStep> Order(int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var steps = new List<AbStep>(rounds * 2);
        for (var round = 1; round <= rounds; round++)
        {
            var first = round % 2 == 1 ? AbSide.Base : AbSide.Head;
            var second = first == AbSide.Base ? AbSide.Head : AbSide.Base;
            steps.Add(new AbStep(round, first));
            steps.Add(new AbStep(round, second));
        }

        return steps;
    }

    /// <summary>
    /// Each round's share of the profile's measured iterations, so that a side's rounds together take what one run of the
    /// profile takes (at least 3); null for the smoke profile, which runs each variant once.
    /// </summary>
    public static int? IterationsPerRound(BenchProfile profile, int rounds)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (!profile.CountsAreMeaningful)
        {
            return null;
        }

        return Math.Max(3, (int)Math.Ceiling(profile.MeasuredIterations / (double)rounds));
    }
}
