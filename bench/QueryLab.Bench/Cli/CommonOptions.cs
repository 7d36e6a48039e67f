using System.CommandLine;
using QueryLab.Bench.Lab;

namespace QueryLab.Bench.Cli;

/// <summary>Options every verb understands.</summary>
public static class CommonOptions
{
    public static readonly Option<string?> Connection = new("--connection", "-c")
    {
        Description = "The server to use: an Npgsql connection string (Host=…;Username=…;Password=…;Database=…) or a postgres:// URL. "
            + "Default: QUERYLAB_CONNECTION, then DATABASE_URL, then the embedded server.",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Print the detail behind an error (the exception chain) and more progress.",
        Recursive = true,
    };
}
