using System.Text.RegularExpressions;

namespace QueryLab.Bench.Plans;

/// <summary>
/// Inclusive and exclusive (self) time of every node, and which node each subplan's time is charged to.
/// The rules, and why, are in FINDINGS.md ("Exclusive time"):
/// <list type="bullet">
/// <item>Inclusive = actual total time × loops ÷ processes. Under a Gather or Gather Merge, PostgreSQL reports
/// per-loop averages over the leader and every worker (loops already count them), so the sum over loops is
/// CPU time across processes; dividing by the processes that ran the node gives elapsed time, comparable
/// with the Gather's own (elapsed) time.</item>
/// <item>A node is charged with each ordinary child (Outer, Inner, Member, Subquery) and each SubPlan child:
/// their time is inside its own.</item>
/// <item>An InitPlan runs once, when its value is first needed, inside the node that needs it: its time is
/// charged to that node (the one whose expressions name its $n / "InitPlan n"), not to the node it hangs
/// under; if no expression shows the reference, to the node it hangs under.</item>
/// <item>A CTE runs as its CTE Scans pull rows: its time is charged to the CTE Scans that read it, shared
/// in proportion to their own time when there are several.</item>
/// <item>What a consumer's own time cannot hold goes to its parent, and up, to the node the subplan hangs under.</item>
/// <item>Exclusive = inclusive − what it is charged with, floored at 0.</item>
/// </list>
/// Every node except the root is charged exactly once in total, so the exclusive times add up to the root's
/// inclusive time, plus whatever the floor at zero added.
/// </summary>
internal sealed partial class TimeAttribution
{
    private readonly Dictionary<PlanNode, int> _processes = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<PlanNode, double> _inclusive = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<PlanNode, List<(PlanNode Source, double Fraction)>> _charges = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<PlanNode, PlanNode> _chargedTo = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<PlanNode, PlanNode> _parent = new(ReferenceEqualityComparer.Instance);
    private readonly bool _leaderParticipates;

    private TimeAttribution(bool leaderParticipates) => _leaderParticipates = leaderParticipates;

    /// <param name="leaderParticipates">parallel_leader_participation (on unless the plan's Settings say off).</param>
    public static TimeAttribution Compute(PlanNode root, bool leaderParticipates)
    {
        var a = new TimeAttribution(leaderParticipates);
        a.Measure(root, 1);
        a.Charge(root);
        return a;
    }

    public int Processes(PlanNode n) => _processes[n];

    public double Inclusive(PlanNode n) => _inclusive[n];

    /// <summary>The node whose time includes <paramref name="n"/>'s (the parent, or for an InitPlan/CTE, its consumer); the first, for a CTE read by several scans.</summary>
    public PlanNode? ChargedTo(PlanNode n) => _chargedTo.GetValueOrDefault(n);

    public double Exclusive(PlanNode n)
    {
        var charged = 0.0;
        foreach (var (source, fraction) in ChargesOf(n))
        {
            charged += _inclusive[source] * fraction;
        }

        return Math.Max(0, _inclusive[n] - charged);
    }

    public PlanBuffers ExclusiveBuffers(PlanNode n)
    {
        var charged = PlanBuffers.None;
        foreach (var (source, fraction) in ChargesOf(n))
        {
            charged = charged.Plus(source.Buffers.Scale(fraction));
        }

        return n.Buffers.Less(charged);
    }

    private IEnumerable<(PlanNode Source, double Fraction)> ChargesOf(PlanNode n) =>
        _charges.TryGetValue(n, out var list) ? list : [];

    private void Measure(PlanNode n, int sharedBy)
    {
        var loops = n.ActualLoops ?? 0;
        var processes = sharedBy <= 1 || loops <= 0 ? 1 : (int)Math.Min(sharedBy, loops);
        _processes[n] = processes;
        _inclusive[n] = (n.ActualTotalTime ?? 0) * loops / processes;

        var forChildren = n.NodeType is "Gather" or "Gather Merge" ? GatherProcesses(n) : sharedBy;
        foreach (var c in n.Children)
        {
            // An InitPlan under a Gather is evaluated by the leader before the workers start.
            Measure(c, c.ParentRelationship == "InitPlan" ? sharedBy : forChildren);
        }
    }

    private int GatherProcesses(PlanNode gather)
    {
        var launched = gather.WorkersLaunched ?? 0;
        var leader = _leaderParticipates && !gather.SingleCopy ? 1 : 0;
        return Math.Max(1, launched + leader);
    }

    private void Charge(PlanNode root)
    {
        var owners = new List<(PlanNode Owner, PlanNode InitPlan)>();
        foreach (var n in root.DescendantsAndSelf())
        {
            foreach (var c in n.Children)
            {
                _parent[c] = n;
                if (c.ParentRelationship == "InitPlan")
                {
                    owners.Add((n, c));
                }
                else
                {
                    AddCharge(n, c, 1.0);
                }
            }
        }

        // Plain InitPlans first: each has one consumer, named in an expression. CTEs are shared out after.
        foreach (var (owner, initPlan) in owners.OrderBy(o => IsCte(o.InitPlan) ? 1 : 0))
        {
            var targets = IsCte(initPlan)
                ? CteScans(owner, initPlan.SubplanName!["CTE ".Length..])
                : [(InitPlanConsumer(owner, initPlan), 1.0)];
            foreach (var (target, share) in targets)
            {
                Absorb(target, owner, initPlan, share);
            }
        }
    }

    /// <summary>
    /// Charges <paramref name="share"/> of a subplan's time to <paramref name="target"/>, as far as the target's
    /// own time goes; the rest to its parent, and so on up to <paramref name="owner"/>, which takes whatever is left.
    /// (A Gather inside a CTE or InitPlan, for one, waits for its workers when the statement shuts down: that
    /// time is in the subplan's and the owner's time but in no CTE Scan's.)
    /// </summary>
    private void Absorb(PlanNode target, PlanNode owner, PlanNode source, double share)
    {
        var total = _inclusive[source];
        if (total <= 0)
        {
            AddCharge(target, source, share);
            return;
        }

        var amount = total * share;
        for (var n = target; ; n = _parent[n])
        {
            var room = Math.Max(0, _inclusive[n] - Charged(n));
            if (ReferenceEquals(n, owner) || room >= amount || !_parent.ContainsKey(n))
            {
                AddCharge(n, source, amount / total);
                return;
            }

            if (room > 0)
            {
                AddCharge(n, source, room / total);
                amount -= room;
            }
        }
    }

    private static bool IsCte(PlanNode initPlan) => initPlan.SubplanName?.StartsWith("CTE ", StringComparison.Ordinal) ?? false;

    private double Charged(PlanNode n) => ChargesOf(n).Sum(x => _inclusive[x.Source] * x.Fraction);

    /// <summary>The CTE Scans reading a CTE, each with its share of the CTE's time (in proportion to their own time).</summary>
    private List<(PlanNode, double)> CteScans(PlanNode owner, string cteName)
    {
        var scans = owner.DescendantsAndSelf()
            .Where(x => x.NodeType == "CTE Scan" && x.CteName == cteName)
            .ToList();
        if (scans.Count == 0)
        {
            return [(owner, 1.0)];
        }

        var weights = scans.Select(RawExclusive).ToList();
        var total = weights.Sum();
        return scans.Select((scan, i) => (scan, total > 0 ? weights[i] / total : 1.0 / scans.Count)).ToList();
    }

    /// <summary>The node that evaluated an InitPlan's value: one whose expressions name it, else the node it hangs under.</summary>
    private PlanNode InitPlanConsumer(PlanNode owner, PlanNode initPlan)
    {
        var tokens = References(initPlan.SubplanName);
        if (tokens.Count == 0)
        {
            return owner;
        }

        var inside = new HashSet<PlanNode>(initPlan.DescendantsAndSelf(), ReferenceEqualityComparer.Instance);
        var candidates = owner.DescendantsAndSelf()
            .Where(x => !inside.Contains(x) && x.Conditions.Any(kv => tokens.Any(t => Mentions(kv.Value, t))))
            .ToList();
        if (candidates.Count <= 1)
        {
            return candidates.Count == 1 ? candidates[0] : owner;
        }

        // Several nodes use the value; it was computed once, by whichever asked first. Take the first (plan
        // order) whose own time could hold it, else the one with the most time of its own.
        var cost = _inclusive[initPlan];
        return candidates.FirstOrDefault(x => RawExclusive(x) >= cost) ?? candidates.MaxBy(RawExclusive)!;
    }

    /// <summary>"InitPlan 1 (returns $0,$1)" → $0, $1 (PostgreSQL ≤ 16); "InitPlan 1" → "(InitPlan 1)" (17+).</summary>
    internal static IReadOnlyList<string> References(string? subplanName)
    {
        if (subplanName is null)
        {
            return [];
        }

        var returns = ReturnsPattern().Match(subplanName);
        if (returns.Success)
        {
            return returns.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }

        var name = InitPlanPattern().Match(subplanName);
        return name.Success ? ["(" + name.Groups[1].Value + ")"] : [];
    }

    private static bool Mentions(string expression, string token)
    {
        var at = 0;
        while ((at = expression.IndexOf(token, at, StringComparison.Ordinal)) >= 0)
        {
            var end = at + token.Length;
            if (end >= expression.Length || !char.IsAsciiDigit(expression[end]))
            {
                return true;
            }

            at = end;
        }

        return false;
    }

    private double RawExclusive(PlanNode n) =>
        Math.Max(0, _inclusive[n] - n.Children.Where(c => c.ParentRelationship != "InitPlan").Sum(c => _inclusive[c]));

    private void AddCharge(PlanNode to, PlanNode source, double fraction)
    {
        if (!_charges.TryGetValue(to, out var list))
        {
            _charges[to] = list = [];
        }

        list.Add((source, fraction));
        _chargedTo.TryAdd(source, to);
    }

    [GeneratedRegex(@"returns\s+([^)]*)\)")]
    private static partial Regex ReturnsPattern();

    [GeneratedRegex(@"^(InitPlan\s+\d+)")]
    private static partial Regex InitPlanPattern();
}
