using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using QueryLab.Bench.Ab;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab ab</c>: same-runner A/B. Builds the base ref in a temporary git worktree, then runs the base's
/// and the working tree's <c>bench</c> as child processes against one server and one seeded database,
/// interleaved round by round (<see cref="AbPlan.Order"/>), merges each side's rounds and compares them.
/// </summary>
public static partial class AbCommand
{
    private const string ResultsSchemaFile = "bench/QueryLab.Bench/Results/RunResults.cs";

    private const string ProjectDir = "bench/QueryLab.Bench";

    public static readonly Option<string> BaseRef = new("--base-ref")
    {
        Description = "The git ref (branch, tag, commit, origin/main…) whose QueryLab is the baseline.",
        Required = true,
    };

    public static readonly Option<int> Rounds = new("--rounds")
    {
        Description = "How many rounds of base + head to run, alternating which goes first.",
        DefaultValueFactory = _ => 3,
    };

    public static Command Create(CliContext ctx)
    {
        var cmd = new Command(
            "ab",
            "Same-runner A/B: build --base-ref in a temporary worktree, run its bench and this one's on the same server, "
            + "interleaved for --rounds rounds, merge the rounds and compare (exit 0, 1 on a regression, 2 when it cannot compare).");
        cmd.Options.Add(BaseRef);
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.Profile);
        cmd.Options.Add(Rounds);
        cmd.Options.Add(BenchCommand.Iterations);
        cmd.Options.Add(BenchCommand.InjectDelay);
        cmd.Options.Add(BenchCommand.Reports);
        cmd.Options.Add(CompareCommand.ThresholdTime);
        cmd.Options.Add(CompareCommand.ThresholdCounters);
        cmd.Options.Add(CompareCommand.Alpha);
        cmd.SetAction((pr, ct) => RunAsync(pr, ctx, ct));
        return cmd;
    }

    private static async Task<int> RunAsync(ParseResult pr, CliContext ctx, CancellationToken ct)
    {
        // Everything that can be checked without a server or a build is checked first.
        var rounds = pr.GetValue(Rounds);
        if (rounds < 1)
        {
            throw LabException.BadInput($"--rounds must be at least 1 (got {rounds}); 3 or more give the time test enough measurements");
        }

        var profile = BenchProfile.Parse(pr.GetValue(BenchCommand.Profile)!);
        var selected = ScenarioOptions.Select(pr);
        var delays = pr.GetValue(BenchCommand.InjectDelay) ?? [];
        _ = TimingOptions.ParseDelays(delays, selected);
        var perRound = IterationsPerRound(profile, rounds, pr.GetValue(BenchCommand.Iterations));
        var settings = CompareCommand.Settings(pr);
        RunFolder.CheckWritable(BenchCommand.ReportsDir(pr, ctx));
        var repo = ctx.RepositoryRoot;
        var baseRef = pr.GetValue(BaseRef)!;
        var commit = await ResolveRefAsync(repo, baseRef, ct);
        var label = $"{baseRef} ({commit[..Math.Min(12, commit.Length)]})";
        await CheckBaseSchemaAsync(repo, commit, label, ct);

        var temp = Path.Combine(Path.GetTempPath(), "querylab-ab-" + Guid.NewGuid().ToString("N")[..12]);
        var tree = Path.Combine(temp, "base");
        var runs = Path.Combine(temp, "runs");
        try
        {
            ctx.Out.WriteLine($"ab: base {label} → worktree {tree}");
            await GitAsync(repo, ["worktree", "add", "--detach", tree, commit], "create a worktree of the base", ct);
            var baseDll = await BuildBaseAsync(tree, label, ctx, ct);
            var headDll = typeof(AbCommand).Assembly.Location;
            var baseKnowsRounds = await KnowsRoundOptionsAsync(baseDll, ct);
            if (perRound is { } each)
            {
                ctx.Out.WriteLine(baseKnowsRounds
                    ? $"ab: {rounds} round(s) of {each} measured iterations per variant and side; plans and counters from the last round"
                    : $"ab: the base's bench has no --iterations/--no-profile: its rounds take the whole '{profile.Name}' profile and profile every time (slower)");
            }

            // The server is opened (the embedded one started) here and stays up for every round of both sides.
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = await LabPipeline.OpenAsync(choice, ctx, seed: null, ct);
            var connection = lab.Server.Connection.ConnectionString;

            var benchArgs = new List<string> { "bench", "--profile", profile.Name };
            if (pr.GetValue(ScenarioOptions.Scenario) is { Length: > 0 } scenario)
            {
                benchArgs.AddRange(["--scenario", scenario]);
            }

            var results = new Dictionary<AbSide, List<RunResults>> { [AbSide.Base] = [], [AbSide.Head] = [] };
            var folders = new Dictionary<AbSide, string>();
            foreach (var step in AbPlan.Order(rounds))
            {
                var isBase = step.Side == AbSide.Base;
                ctx.Out.WriteLine($"ab: round {step.Round}/{rounds}: {(isBase ? "base " + label : "head (working tree)")}");
                var reports = Path.Combine(runs, step.Name);
                var args = new List<string>(benchArgs) { "--reports", reports };
                if (!isBase || baseKnowsRounds)
                {
                    if (perRound is { } n)
                    {
                        args.AddRange(["--iterations", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                    }

                    if (step.Round < rounds)
                    {
                        args.Add("--no-profile"); // only the last round's plans and counters are kept
                    }
                }

                if (!isBase)
                {
                    args.AddRange(delays.SelectMany(d => new[] { "--inject-delay", d }));
                }

                var code = await RunBenchAsync(isBase ? baseDll : headDll, isBase ? tree : repo, args, connection, step.Name, ctx, ct);
                var latest = Path.Combine(reports, "latest");
                if (code is not (0 or 1) || !File.Exists(Path.Combine(latest, "results.json")))
                {
                    var what = isBase ? $"the base {label}'s querylab bench" : "this querylab bench";
                    throw new LabException(
                        isBase || code is not (2 or 3 or 130) ? ExitCode.BadInput : (ExitCode)code,
                        $"{what} ({step.Name}) failed with exit {code} and wrote no run; its output is above, prefixed [{step.Name}]");
                }

                results[step.Side].Add(isBase ? ReadBase(latest, label) : ResultsJson.Read(latest));
                folders[step.Side] = latest;
            }

            var final = WriteMerged(results, folders, BenchCommand.ReportsDir(pr, ctx), profile, pr, ctx);
            var code2 = CompareCommand.Execute(ctx, () => (settings, Path.Combine(final, "base"), final));
            RefreshLatest(final);
            return code2;
        }
        finally
        {
            await RemoveWorktreeAsync(repo, tree, temp, ctx);
        }
    }

    /// <summary>
    /// Each round's share of the profile's measured iterations (--iterations when given), so that a side's rounds
    /// together take what one run of the profile takes; null for the smoke profile, which runs each variant once.
    /// </summary>
    public static int? IterationsPerRound(BenchProfile profile, int rounds, int? requested)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (requested is { } r)
        {
            return BenchCommand.CheckIterations(r);
        }

        if (!profile.CountsAreMeaningful)
        {
            return null;
        }

        return Math.Max(3, (int)Math.Ceiling(profile.MeasuredIterations / (double)rounds));
    }

    /// <summary>Whether the base's bench takes --iterations and --no-profile (older bases do not).</summary>
    private static async Task<bool> KnowsRoundOptionsAsync(string dll, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync("dotnet", [dll, "bench", "--help"], ct: ct);
        return r.StdOut.Contains("--iterations", StringComparison.Ordinal) && r.StdOut.Contains("--no-profile", StringComparison.Ordinal);
    }

    /// <summary>The commit a ref names, or exit 2 saying it is unknown.</summary>
    private static async Task<string> ResolveRefAsync(string repo, string baseRef, CancellationToken ct)
    {
        if (baseRef.StartsWith('-'))
        {
            throw LabException.BadInput($"--base-ref '{baseRef}' is not a git ref");
        }

        var r = await ProcessRunner.RunAsync("git", ["-C", repo, "rev-parse", "--verify", "--quiet", "--end-of-options", baseRef + "^{commit}"], ct: ct);
        if (!r.Succeeded || r.StdOut.Trim().Length == 0)
        {
            throw LabException.BadInput(
                $"unknown git ref '{baseRef}' in {repo}: git rev-parse finds no commit by that name; "
                + "fetch it first (e.g. `git fetch origin main`, or check out with fetch-depth 0 on CI) or pass a branch, tag or commit that exists");
        }

        return r.StdOut.Trim();
    }

    /// <summary>The base must have a querylab whose results.json this one reads; checked from git before anything is built.</summary>
    private static async Task CheckBaseSchemaAsync(string repo, string commit, string label, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync("git", ["-C", repo, "show", $"{commit}:{ResultsSchemaFile}"], ct: ct);
        if (!r.Succeeded)
        {
            throw LabException.BadInput(
                $"the base {label} has no querylab with a results.json schema ({ResultsSchemaFile} is absent there); "
                + "pick a base ref that has `querylab bench`, or compare with a stored baseline (querylab compare --baseline)");
        }

        var m = SchemaVersionPattern().Match(r.StdOut);
        if (!m.Success || int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) != RunResults.CurrentSchemaVersion)
        {
            var found = m.Success ? $"schema version {m.Groups[1].Value}" : "no schema version";
            throw LabException.BadInput(
                $"the base {label} writes results.json with {found}, this querylab reads version {RunResults.CurrentSchemaVersion}; "
                + "the two cannot be compared: pick a base ref with the same schema, or compare with a baseline saved by this version");
        }
    }

    private static RunResults ReadBase(string folder, string label)
    {
        try
        {
            return ResultsJson.Read(folder);
        }
        catch (LabException ex)
        {
            throw LabException.BadInput($"the base {label} wrote a results.json this querylab cannot read: {ex.Message}", ex);
        }
    }

    private static async Task<string> BuildBaseAsync(string tree, string label, CliContext ctx, CancellationToken ct)
    {
        ctx.Out.WriteLine($"ab: building the base's {ProjectDir} (Release)");
        var project = Path.Combine(tree, ProjectDir);
        var r = await ProcessRunner.RunAsync(
            "dotnet",
            ["build", project, "--configuration", "Release", "--nologo", "--verbosity", "quiet", "--disable-build-servers"],
            timeout: TimeSpan.FromMinutes(30),
            ct: ct);
        if (!r.Succeeded)
        {
            var tail = string.Join(Environment.NewLine, (r.StdOut + r.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(10));
            ctx.Err.WriteLine(tail);
            throw LabException.BadInput($"the base {label} does not build (dotnet build {ProjectDir} -c Release exited {r.ExitCode}; the last lines are above)");
        }

        var bin = Path.Combine(project, "bin", "Release");
        // The entry assembly is the one with a runtimeconfig.json beside it (querylab.dll; older trees may name it otherwise).
        var dll = Directory.Exists(bin)
            ? Directory.GetFiles(bin, "*.runtimeconfig.json", SearchOption.AllDirectories)
                .Select(f => f[..^".runtimeconfig.json".Length] + ".dll")
                .Where(File.Exists)
                .OrderBy(f => f.Length)
                .FirstOrDefault()
            : null;
        return dll ?? throw LabException.BadInput($"the base {label} built, but no runnable querylab assembly is under {bin}; it has no querylab this command can run");
    }

    /// <summary>
    /// Runs one side's <c>querylab bench</c> as a child process: the connection goes in QUERYLAB_CONNECTION (never on
    /// argv, where other users can read it), its output is forwarded line by line with a prefix, and cancelling kills it.
    /// </summary>
    private static async Task<int> RunBenchAsync(string dll, string workingDirectory, IReadOnlyList<string> args, string connection, string prefix, CliContext ctx, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["QUERYLAB_CONNECTION"] = connection;
        psi.Environment.Remove("DATABASE_URL");
        var gate = new object();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Forward(ctx.Out, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(ctx.Err, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw LabException.Environment($"cannot start dotnet: {ex.Message}; check that the .NET SDK is on PATH", ex);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (ct.Register(() => Kill(process)))
        {
            await process.WaitForExitAsync(CancellationToken.None);
        }

        process.WaitForExit(); // drain the redirected output
        ct.ThrowIfCancellationRequested();
        return process.ExitCode;

        void Forward(TextWriter to, string? line)
        {
            if (line is not null)
            {
                lock (gate)
                {
                    to.WriteLine($"[{prefix}] {line}");
                }
            }
        }
    }

    private static void Kill(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>
    /// The candidate run folder: the last head round's folder (plans, BenchmarkDotNet exports) with the merged
    /// results.json and its report.md, and under base/ the same for the base. Written aside and moved into place.
    /// </summary>
    private static string WriteMerged(Dictionary<AbSide, List<RunResults>> results, Dictionary<AbSide, string> folders, string reportsDir, BenchProfile profile, ParseResult pr, CliContext ctx)
    {
        var heads = results[AbSide.Head];
        var folder = RunFolder.Create(reportsDir, $"{heads[^1].Dataset.Scale}-{profile.Name}-ab", DateTimeOffset.UtcNow);
        try
        {
            var command = "querylab " + string.Join(' ', pr.Tokens.Select(t => ConnectionStrings.Redact(t.Value)));
            var candidate = RoundMerge.Merge(heads, folder.RunId, command);
            var bases = results[AbSide.Base];
            var baseline = RoundMerge.Merge(bases, bases[^1].RunId, bases[^1].Command);
            CopyRun(folders[AbSide.Head], folder.WorkDir);
            var baseDir = folder.PathOf("base");
            CopyRun(folders[AbSide.Base], baseDir);
            File.WriteAllText(folder.PathOf("results.json"), ResultsJson.Serialize(candidate));
            File.WriteAllText(folder.PathOf("report.md"), MarkdownReport.Render(candidate, folder.WorkDir));
            File.WriteAllText(Path.Combine(baseDir, "results.json"), ResultsJson.Serialize(baseline));
            File.WriteAllText(Path.Combine(baseDir, "report.md"), MarkdownReport.Render(baseline, baseDir));
            var final = folder.Complete();
            ctx.Out.WriteLine($"ab: {bases.Count} base and {heads.Count} head round(s) merged into {BaselineCommand.Display(final, ctx)} (base in base/)");
            return final;
        }
        catch
        {
            folder.Abandon();
            throw;
        }
    }

    private static void CopyRun(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from).Where(f => Path.GetFileName(f) is not ("RUN_ID" or "results.json" or "report.md")))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        foreach (var d in Directory.GetDirectories(from))
        {
            CopyAll(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }

    private static void CopyAll(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        foreach (var d in Directory.GetDirectories(from))
        {
            CopyAll(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }

    /// <summary>reports/latest is a copy of the run made before the comparison; give it compare.md and compare.json too.</summary>
    private static void RefreshLatest(string final)
    {
        var latest = Path.Combine(Path.GetDirectoryName(final)!, "latest");
        if (!File.Exists(Path.Combine(latest, "RUN_ID")) || File.ReadAllText(Path.Combine(latest, "RUN_ID")).Trim() != Path.GetFileName(final))
        {
            return;
        }

        foreach (var name in new[] { "compare.md", "compare.json" })
        {
            var f = Path.Combine(final, name);
            if (File.Exists(f))
            {
                File.Copy(f, Path.Combine(latest, name), overwrite: true);
            }
        }
    }

    private static async Task GitAsync(string repo, IEnumerable<string> args, string what, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync("git", ["-C", repo, .. args], ct: ct);
        if (!r.Succeeded)
        {
            throw LabException.Environment($"git could not {what}: {r.LastLine}");
        }
    }

    /// <summary>Removes the base's worktree and the temporary folder, whatever happened; never throws, says what it left.</summary>
    private static async Task RemoveWorktreeAsync(string repo, string tree, string temp, CliContext ctx)
    {
        try
        {
            // Only this worktree is removed (no `git worktree prune`, which would touch other worktrees' records).
            if (Directory.Exists(tree))
            {
                var r = await ProcessRunner.RunAsync("git", ["-C", repo, "worktree", "remove", "--force", tree], ct: CancellationToken.None);
                if (!r.Succeeded)
                {
                    ctx.Err.WriteLine($"warning: git worktree remove {tree} failed ({r.LastLine}); its folder is deleted, `git worktree prune` clears the record");
                }
            }

            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LabException)
        {
            ctx.Err.WriteLine($"warning: could not remove the base's worktree {tree} ({ex.Message}); remove it with `git worktree remove --force {tree}`");
        }
    }

    [GeneratedRegex(@"CurrentSchemaVersion\s*=\s*(\d+)")]
    private static partial Regex SchemaVersionPattern();
}
