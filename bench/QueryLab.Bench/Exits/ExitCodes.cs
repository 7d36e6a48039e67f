using QueryLab.Seed;

namespace QueryLab.Bench.Exits;

/// <summary>How a verb ended. Each has one exit code (<see cref="ExitCodes.Of"/>); README.md's "Exit codes" names each.</summary>
public enum Ending
{
    /// <summary>Everything asked for was done.</summary>
    Done,

    /// <summary>A scenario's variants disagree with its baseline (verify, bench, run).</summary>
    VerificationFailed,

    /// <summary>migrate --check found something to fix in a pending migration.</summary>
    LintFindings,

    /// <summary>compare (or run/bench --baseline, ab) found a regression.</summary>
    Regression,

    /// <summary>A load run left connections open on the server.</summary>
    ConnectionsLeftOpen,

    /// <summary>migrate --rehearse: a statement made the traffic wait longer than --max-block.</summary>
    TrafficBlocked,

    /// <summary>An unexpected error: a bug in QueryLab.</summary>
    Bug,

    /// <summary>Bad input or configuration: an option, a name, a file or a server setting the user can fix.</summary>
    BadInput,

    /// <summary>Two runs that cannot be compared (another dataset, server major version or profile).</summary>
    CannotCompare,

    /// <summary>The environment failed: the server, the binaries, the disk, another run holding the database.</summary>
    Environment,

    /// <summary>Ctrl+C or SIGTERM.</summary>
    Interrupted,
}

/// <summary>
/// The one place that decides what <c>querylab</c> exits with: an <see cref="Ending"/> per way a verb can end, its
/// code, the endings each verb can have, and how several endings of one run combine. A failure thrown as an
/// exception gets its code from <see cref="Failures.Describe"/>, which uses the same codes. README.md's tables of exit
/// codes are checked against this (tests/QueryLab.Tests/ExitCodeTests.cs).
/// </summary>
public static class ExitCodes
{
    private static readonly Ending[] Common = [Ending.Done, Ending.Bug, Ending.BadInput, Ending.Environment, Ending.Interrupted];

    public static ExitCode Of(Ending ending) => ending switch
    {
        Ending.Done => ExitCode.Ok,
        Ending.VerificationFailed or Ending.LintFindings or Ending.Regression or Ending.ConnectionsLeftOpen or Ending.TrafficBlocked or Ending.Bug => ExitCode.Failed,
        Ending.BadInput or Ending.CannotCompare => ExitCode.BadInput,
        Ending.Environment => ExitCode.Environment,
        Ending.Interrupted => ExitCode.Interrupted,
        _ => throw new ArgumentOutOfRangeException(nameof(ending), ending, null),
    };

    /// <summary>The process exit code of an ending.</summary>
    public static int Code(Ending ending) => (int)Of(ending);

    /// <summary>A run that ended several ways at once (bench --baseline: a scenario failed verification and the comparison found a regression): the highest code.</summary>
    public static int Code(params Ending[] endings)
    {
        ArgumentNullException.ThrowIfNull(endings);
        return endings.Select(Code).DefaultIfEmpty(0).Max();
    }

    /// <summary>An ending when <paramref name="failed"/>, else <see cref="Ending.Done"/>.</summary>
    public static Ending If(bool failed, Ending ending) => failed ? ending : Ending.Done;

    /// <summary>Every way a verb can end (a verb not named here ends only in the ways every verb can).</summary>
    public static IReadOnlyList<Ending> EndingsOf(string verb) => verb switch
    {
        "verify" or "upgrade" => [.. Common, Ending.VerificationFailed],
        "bench" or "run" => [.. Common, Ending.VerificationFailed, Ending.Regression, Ending.CannotCompare],
        "compare" or "ab" => [.. Common, Ending.Regression, Ending.CannotCompare],
        "migrate" => [.. Common, Ending.LintFindings, Ending.TrafficBlocked],
        "advise" => [.. Common, Ending.VerificationFailed],
        "load" => [.. Common, Ending.ConnectionsLeftOpen],
        _ => Common,
    };

    /// <summary>
    /// What <c>ab</c> exits with when one of its bench runs failed with <paramref name="code"/> and wrote no run: the
    /// head's bad input, environment and interrupt are passed on; anything else, and whatever the base did, is a base
    /// that cannot be compared (exit 2).
    /// </summary>
    public static ExitCode OfFailedBench(bool isBase, int code) =>
        !isBase && code is (int)ExitCode.BadInput or (int)ExitCode.Environment or (int)ExitCode.Interrupted ? (ExitCode)code : Of(Ending.CannotCompare);
}
