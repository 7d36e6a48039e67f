using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace QueryLab.Seed.Migrations;

/// <summary>The migration files on disk, in version order, each with its SHA-256.</summary>
public sealed partial class MigrationSet
{
    private MigrationSet(string directory, IReadOnlyList<MigrationFile> files)
    {
        Directory = directory;
        Files = files;
    }

    public string Directory { get; }

    public IReadOnlyList<MigrationFile> Files { get; }

    /// <summary>The migrations that ship beside the binaries (the build copies seed/Migrations there).</summary>
    public static string DefaultDirectory => System.IO.Path.Combine(AppContext.BaseDirectory, "Migrations");

    public static MigrationSet Load(string? directory = null)
    {
        var dir = directory ?? DefaultDirectory;
        if (!System.IO.Directory.Exists(dir))
        {
            // A folder the user named is bad input; the one that ships beside the binaries missing is a broken build.
            throw directory is not null
                ? LabException.BadInput($"--migrations {dir}: no such folder; name a folder that holds the migration .sql files (default: the ones QueryLab ships)")
                : LabException.Environment($"the migrations folder {dir} is missing; rebuild QueryLab (dotnet build) so seed/Migrations is copied beside it");
        }

        var files = new List<MigrationFile>();
        foreach (var path in System.IO.Directory.GetFiles(dir, "*.sql").Order(StringComparer.Ordinal))
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(path);
            var m = FileNamePattern().Match(name);
            if (!m.Success)
            {
                throw LabException.BadInput($"migration file {System.IO.Path.GetFileName(path)} is not named NNNN_name.sql (four digits, an underscore, lower-case words); rename it");
            }

            files.Add(new MigrationFile(m.Groups[1].Value, m.Groups[2].Value, path, File.ReadAllText(path)));
        }

        var dup = files.GroupBy(f => f.Version).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
        {
            throw LabException.BadInput($"two migration files share version {dup.Key} ({string.Join(", ", dup.Select(f => System.IO.Path.GetFileName(f.Path)))}); give one the next free number");
        }

        return new MigrationSet(dir, files);
    }

    public static string Sha256(MigrationFile f) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(f.Sql)));

    public static bool RunsOutsideTransaction(MigrationFile f) => f.RunsOutsideTransaction;

    [GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)$")]
    private static partial Regex FileNamePattern();
}
