namespace QueryLab.Seed;

/// <summary>The exit codes of every <c>querylab</c> verb (README, "Exit codes").</summary>
public enum ExitCode
{
    /// <summary>Everything asked for was done.</summary>
    Ok = 0,

    /// <summary>The thing measured failed: a verification mismatch, a regression.</summary>
    Failed = 1,

    /// <summary>Bad input or configuration: unknown option, scenario, scale; malformed connection string; unreadable baseline.</summary>
    BadInput = 2,

    /// <summary>The environment failed: server unreachable or crashed, binaries missing, disk full.</summary>
    Environment = 3,

    /// <summary>Interrupted by Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    Interrupted = 130,
}

/// <summary>
/// An expected failure: its message is one line that names the problem and the fix, and is printed
/// without a stack trace. It never carries a password.
/// </summary>
public class LabException(ExitCode code, string message, Exception? inner = null) : Exception(message, inner)
{
    public ExitCode Code { get; } = code;

    public static LabException BadInput(string message, Exception? inner = null) => new(ExitCode.BadInput, message, inner);

    public static LabException Environment(string message, Exception? inner = null) => new(ExitCode.Environment, message, inner);
}
