namespace QueryLab.Seed;

/// <summary>
/// What a command is in the middle of, so that an interrupt (Ctrl+C, SIGTERM) can say what was left unfinished and
/// what it left behind: <c>interrupted while timing mark-delivered/ef-tracked: the run … was not completed; …</c>.
/// The stage that is running sets it; it is read once, after the command has been cancelled and has unwound, so the
/// consequences are described as they are then (a folder removed, a manifest left incomplete).
/// A verb that runs other stages inside its own (upgrade seeds and benches each major's cluster) says what it leaves
/// around them with <see cref="Enclose"/>: that is added to whichever stage is running when the interrupt comes.
/// </summary>
public sealed class WorkInProgress
{
    private volatile Stage? _current;
    private volatile Func<string>? _enclosing;

    /// <summary>What the enclosing verb leaves whatever stage runs inside it (null: nothing more); evaluated when printed.</summary>
    public void Enclose(Func<string>? leaves) => _enclosing = leaves;

    /// <summary>Enters a stage: what is being done, and what an interrupt now leaves (evaluated when it is printed).</summary>
    public void Enter(string doing, Func<string> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        _current = new Stage(doing, leaves);
    }

    /// <summary>Names the step within the current stage (the variant being timed); what an interrupt leaves stays.</summary>
    public void Step(string doing)
    {
        if (_current is { } s)
        {
            _current = s with { Doing = doing };
        }
    }

    /// <summary>Leaves the stage: an interrupt now has nothing half-done to report.</summary>
    public void Leave() => _current = null;

    /// <summary>The one line printed when the command was interrupted.</summary>
    public string Describe()
    {
        var around = _enclosing?.Invoke();
        if (_current is not { } s)
        {
            return "interrupted: stopped before finishing; " + (string.IsNullOrEmpty(around) ? "nothing half-done was kept" : around);
        }

        var leaves = string.Join("; ", new[] { s.Leaves(), around }.Where(l => !string.IsNullOrEmpty(l)));
        return $"interrupted while {s.Doing}: {leaves}";
    }

    private sealed record Stage(string Doing, Func<string> Leaves);
}
