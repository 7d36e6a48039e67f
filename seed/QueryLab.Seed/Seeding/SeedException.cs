namespace QueryLab.Seed.Seeding;

/// <summary>A seed that cannot go on, with a one-line message for the user saying what to do.</summary>
public sealed class SeedException(string message, Exception? innerException = null, ExitCode code = ExitCode.BadInput)
    : LabException(code, message, innerException);
