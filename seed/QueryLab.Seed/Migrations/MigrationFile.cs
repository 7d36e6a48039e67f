using System.Globalization;

namespace QueryLab.Seed.Migrations;

/// <summary>One reviewed migration: <c>0001_lab_schema.sql</c> is Version "0001", Name "lab_schema".</summary>
public sealed record MigrationFile(string Version, string Name, string Path, string Sql)
{
    /// <summary>The line comment that makes a file run outside a transaction (CREATE INDEX CONCURRENTLY needs it).</summary>
    public const string NoTransactionMarker = "-- querylab:no-transaction";

    public bool RunsOutsideTransaction => MigrationLinter.RunsOutsideTransaction(Sql);

    /// <summary>Reads a migration file whose name is <c>&lt;digits&gt;_&lt;name&gt;.sql</c>.</summary>
    public static MigrationFile Load(string path)
    {
        var fileName = System.IO.Path.GetFileNameWithoutExtension(path);
        var underscore = fileName.IndexOf('_', StringComparison.Ordinal);
        if (underscore <= 0 || !fileName[..underscore].All(char.IsAsciiDigit)
            || !path.EndsWith(".sql", StringComparison.OrdinalIgnoreCase) || underscore == fileName.Length - 1)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                $"Migration file '{System.IO.Path.GetFileName(path)}' is not named <version>_<name>.sql; rename it like 0003_add_carrier_region.sql."));
        }

        return new MigrationFile(fileName[..underscore], fileName[(underscore + 1)..], path, File.ReadAllText(path));
    }

    /// <summary>Every <c>*.sql</c> file of a folder, in version order.</summary>
    public static IReadOnlyList<MigrationFile> LoadDirectory(string directory) =>
        Directory.GetFiles(directory, "*.sql")
            .Select(Load)
            .OrderBy(m => m.Version.Length)
            .ThenBy(m => m.Version, StringComparer.Ordinal)
            .ToList();
}
