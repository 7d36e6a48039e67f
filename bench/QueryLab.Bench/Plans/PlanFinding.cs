using QueryLab.Bench.Findings;

namespace QueryLab.Bench.Plans;

/// <summary>
/// Something worth a reviewer's attention in one plan: <see cref="Code"/> is one of <see cref="FindingCodes"/>
/// (stable: tests and baselines compare it); <see cref="NodePath"/> is the node's dotted path ("1.2.1"), empty for
/// the statement as a whole; <see cref="Message"/> says what happened with the numbers; <see cref="Fix"/> says what
/// to do, in one line.
/// </summary>
public sealed record PlanFinding(Severity Severity, string Code, string NodePath, string Message, string Fix);
