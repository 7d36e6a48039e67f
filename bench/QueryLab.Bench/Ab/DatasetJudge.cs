using System.Globalization;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Ab;

/// <summary>
/// What the two databases hold, judged from their manifests and their schemas: which relations hold the same data on
/// both sides, which differ and why (one line each), and what may be compared. The head is the change: every line says
/// what the head does differently from the base.
/// </summary>
/// <param name="Changes">What the head changed, one line per relation (whose data differs, or whose indexes do) and one on the migrations.</param>
/// <param name="Summary">The dataset both hold and where the data agrees, one line.</param>
/// <param name="Differs">The relations whose data differs between the two databases, and why.</param>
public sealed record DatasetVerdict(IReadOnlyList<string> Changes, string Summary, IReadOnlyDictionary<string, string> Differs);

/// <summary>
/// Judges the two databases of an A/B. Where the two schemas agree on a seeded table (the same columns, in order, of the
/// same types) its checksum and row count must agree too, unless the head's generator has another version: data that
/// differs where nothing says it may is a seed mismatch, exit 2. Pure, so tests can check every case.
/// </summary>
public static class DatasetJudge
{
    public static DatasetVerdict Judge(DatabaseState baseDb, DatabaseState headDb, SeedRequest asked, string baseLabel)
    {
        ArgumentNullException.ThrowIfNull(baseDb);
        ArgumentNullException.ThrowIfNull(headDb);
        ArgumentNullException.ThrowIfNull(asked);
        var b = CheckManifest(baseDb.Manifest, AbSide.Base, $"the base {baseLabel}", asked);
        var h = CheckManifest(headDb.Manifest, AbSide.Head, "this querylab", asked);
        var generatorChanged = !string.Equals(b.GeneratorVersion, h.GeneratorVersion, StringComparison.Ordinal);

        var lines = new List<string>();
        var differs = new Dictionary<string, string>(StringComparer.Ordinal);
        var mismatches = new List<string>();
        var tables = b.TableChecksums.Keys.Union(h.TableChecksums.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var t in tables)
        {
            var why = SchemaChange(baseDb, headDb, t, seededByBase: b.TableChecksums.ContainsKey(t), seededByHead: h.TableChecksums.ContainsKey(t));
            if (why is null && SameData(b, h, t))
            {
                continue;
            }

            if (why is null && !generatorChanged)
            {
                mismatches.Add(string.Create(CultureInfo.InvariantCulture,
                    $"querylab.{t} (checksum {Short(b.TableChecksums[t])} in {AbDatabases.NameOf(AbSide.Base)}, {Short(h.TableChecksums[t])} in {AbDatabases.NameOf(AbSide.Head)}; {Rows(b, t)} and {Rows(h, t)} rows)"));
                continue;
            }

            differs[t] = why ?? $"the head's generator v{h.GeneratorVersion} makes other rows than the base's v{b.GeneratorVersion} ({Rows(b, t)} and {Rows(h, t)} rows)";
        }

        if (mismatches.Count > 0)
        {
            throw LabException.BadInput(
                $"seed mismatch: the two ab databases hold other data where their schemas agree: {string.Join(", ", mismatches)}, with the same columns and generator v{b.GeneratorVersion} "
                + $"on both sides, seeded with scale {asked.Scale.Key} seed {asked.Seed}: a generator change without a new generator version (GeneratorInfo.Version), or a generator that is not deterministic; "
                + "bump the version with the change, or fix the generator");
        }

        var views = baseDb.Relations.Values.Concat(headDb.Relations.Values).Where(r => r.IsView).Select(r => r.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var v in views)
        {
            if (SchemaChange(baseDb, headDb, v, baseDb.Relations.ContainsKey(v), headDb.Relations.ContainsKey(v)) is { } why)
            {
                differs[v] = why;
            }
        }

        foreach (var (name, why) in differs)
        {
            lines.Add($"querylab.{name}: {why}; its data differs between the two databases, so variants that read it are compared on counters and plans, not on time");
        }

        PropagateToViews(baseDb, headDb, views, differs);
        foreach (var t in tables.Concat(views).Where(r => !differs.ContainsKey(r)))
        {
            if (IndexChanges(baseDb, headDb, t) is { Count: > 0 } changes)
            {
                lines.Add($"querylab.{t}: the same data in both databases; the head {string.Join(", ", changes)}: compared on counters, plans and time");
            }
        }

        if (MigrationChanges(baseDb, headDb) is { } migrations)
        {
            lines.Add($"migrations: {migrations}");
        }

        var agree = tables.Where(t => !differs.ContainsKey(t)).ToList();
        var summary = $"both databases hold scale {asked.Scale.Key} seed {asked.Seed} (generator {(generatorChanged ? $"v{b.GeneratorVersion} in the base, v{h.GeneratorVersion} in the head" : "v" + b.GeneratorVersion)}); "
            + (agree.Count == tables.Count
                ? $"the data agrees in every seeded table ({string.Join(", ", tables)})"
                : $"the data agrees in {agree.Count} of {tables.Count} seeded tables{(agree.Count > 0 ? " (" + string.Join(", ", agree) + ")" : "")} and differs in {string.Join(", ", tables.Except(agree))}");
        return new DatasetVerdict(lines, summary, differs);
    }

    private static SeedManifest CheckManifest(SeedManifest? m, AbSide side, string who, SeedRequest asked)
    {
        var db = AbDatabases.NameOf(side);
        if (m is null || !m.IsComplete)
        {
            throw LabException.BadInput(
                $"{who} seeded {db} but left {(m is null ? "no seed manifest this querylab can read" : $"its seed manifest {m.Status}")}; "
                + (side == AbSide.Base ? "pick a --base-ref whose `querylab seed` writes a complete manifest" : "run `querylab seed` on its own to see why"));
        }

        if (!string.Equals(m.Scale, asked.Scale.Key, StringComparison.Ordinal) || m.Seed != asked.Seed)
        {
            throw LabException.BadInput(
                $"seed mismatch: {who} was asked to seed {db} with scale {asked.Scale.Key} seed {asked.Seed} and it holds scale {m.Scale} seed {m.Seed} (generator v{m.GeneratorVersion}); "
                + "the two databases would hold other datasets: " + (side == AbSide.Base ? "pick another --base-ref" : "this is a bug in QueryLab; report it"));
        }

        return m;
    }

    private static bool SameData(SeedManifest b, SeedManifest h, string t) =>
        b.TableChecksums.TryGetValue(t, out var x) && h.TableChecksums.TryGetValue(t, out var y) && string.Equals(x, y, StringComparison.Ordinal)
        && b.RowCounts.GetValueOrDefault(t, -1) == h.RowCounts.GetValueOrDefault(t, -1);

    /// <summary>How the head's schema of a relation differs from the base's (in a way that changes its rows' hash), or null when it does not.</summary>
    private static string? SchemaChange(DatabaseState baseDb, DatabaseState headDb, string name, bool seededByBase, bool seededByHead)
    {
        var b = baseDb.Relations.GetValueOrDefault(name);
        var h = headDb.Relations.GetValueOrDefault(name);
        if (b is null || h is null)
        {
            return b is null ? "only the head has it" : "the head drops it";
        }

        if (seededByBase != seededByHead)
        {
            return seededByHead ? "only the head seeds it" : "the head no longer seeds it";
        }

        var parts = new List<string>();
        var bCols = b.Columns.Select(Column).ToList();
        var hCols = h.Columns.Select(Column).ToList();
        parts.AddRange(hCols.Where(c => bCols.All(x => x.Name != c.Name)).Select(c => $"adds column {c.Name} {c.Type}"));
        parts.AddRange(bCols.Where(c => hCols.All(x => x.Name != c.Name)).Select(c => $"drops column {c.Name} {c.Type}"));
        parts.AddRange(hCols.Join(bCols, c => c.Name, c => c.Name, (hc, bc) => (hc, bc)).Where(p => p.hc.Type != p.bc.Type).Select(p => $"changes column {p.hc.Name} from {p.bc.Type} to {p.hc.Type}"));
        if (parts.Count == 0 && !b.Columns.SequenceEqual(h.Columns, StringComparer.Ordinal))
        {
            parts.Add("reorders its columns");
        }

        if (b.IsView && !string.Equals(b.Definition, h.Definition, StringComparison.Ordinal))
        {
            parts.Add("changes its definition");
        }

        return parts.Count == 0 ? null : "the head " + string.Join(", ", parts);
    }

    private static (string Name, string Type) Column(string column)
    {
        var at = column.IndexOf(' ', StringComparison.Ordinal);
        return (column[..at], column[(at + 1)..]);
    }

    /// <summary>A view reads what its relations hold: one reading a relation whose data differs differs too (views of views included).</summary>
    private static void PropagateToViews(DatabaseState baseDb, DatabaseState headDb, IReadOnlyList<string> views, Dictionary<string, string> differs)
    {
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var v in views.Where(v => !differs.ContainsKey(v)))
            {
                var reads = (baseDb.Relations.GetValueOrDefault(v)?.Reads ?? []).Concat(headDb.Relations.GetValueOrDefault(v)?.Reads ?? []);
                if (reads.FirstOrDefault(differs.ContainsKey) is { } source)
                {
                    differs[v] = $"it reads querylab.{source}, whose data differs";
                    changed = true;
                }
            }
        }
    }

    private static List<string> IndexChanges(DatabaseState baseDb, DatabaseState headDb, string table)
    {
        var b = baseDb.Indexes.Values.Where(i => i.Table == table).ToDictionary(i => i.Name, StringComparer.Ordinal);
        var h = headDb.Indexes.Values.Where(i => i.Table == table).ToDictionary(i => i.Name, StringComparer.Ordinal);
        var changes = new List<string>();
        changes.AddRange(h.Values.Where(i => !b.ContainsKey(i.Name)).Select(i => $"adds {Describe(i)}"));
        changes.AddRange(b.Values.Where(i => !h.ContainsKey(i.Name)).Select(i => $"drops {Describe(i)}"));
        changes.AddRange(h.Values.Where(i => b.TryGetValue(i.Name, out var old) && (old.Definition != i.Definition || old.Unique != i.Unique))
            .Select(i => $"changes {Describe(b[i.Name])} to {i.Definition}"));
        return changes;
    }

    private static string Describe(IndexState i) => $"{(i.Unique ? "unique index" : "index")} {i.Name} ({i.Definition})";

    private static string? MigrationChanges(DatabaseState baseDb, DatabaseState headDb)
    {
        var b = baseDb.Migrations;
        var h = headDb.Migrations;
        var parts = new List<string>();
        if (b.Keys.Except(h.Keys, StringComparer.Ordinal).ToList() is { Count: > 0 } onlyBase)
        {
            parts.Add($"only the base applied {string.Join(", ", onlyBase)}");
        }

        if (h.Keys.Except(b.Keys, StringComparer.Ordinal).ToList() is { Count: > 0 } onlyHead)
        {
            parts.Add($"only the head applied {string.Join(", ", onlyHead)}");
        }

        if (h.Keys.Where(k => b.TryGetValue(k, out var sha) && sha != h[k]).ToList() is { Count: > 0 } edited)
        {
            parts.Add($"{string.Join(", ", edited)} differ{(edited.Count == 1 ? "s" : "")} (another SHA-256)");
        }

        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    private static string Rows(SeedManifest m, string table) => m.RowCounts.TryGetValue(table, out var n) ? n.ToString("N0", CultureInfo.InvariantCulture) : "no";

    private static string Short(string checksum) => checksum.Length > 12 ? checksum[..12] + "…" : checksum;
}
