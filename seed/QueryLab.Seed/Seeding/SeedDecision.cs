namespace QueryLab.Seed.Seeding;

/// <summary>Whether a seed request loads, does nothing, or is refused — decided from the manifest alone.</summary>
internal sealed record SeedDecision(bool IsNoOp, string Reason)
{
    /// <param name="manifest">The database's manifest, or null.</param>
    /// <param name="hasUnmanifestedData">With no manifest: whether any seeded table has rows anyway.</param>
    /// <param name="request">What is asked for.</param>
    /// <exception cref="SeedException">The database holds complete data of another scale or seed (or data with no
    /// manifest) and <see cref="SeedRequest.Force"/> is not set.</exception>
    public static SeedDecision Decide(SeedManifest? manifest, bool hasUnmanifestedData, SeedRequest request)
    {
        var wanted = $"scale {request.Scale.Key} seed {request.Seed}";
        if (manifest is null)
        {
            if (hasUnmanifestedData && !request.Force)
            {
                throw new SeedException(
                    $"the querylab tables hold data that no seed manifest describes; pass --force to replace it with {wanted}");
            }

            return new SeedDecision(false, hasUnmanifestedData
                ? $"replacing data with no seed manifest by {wanted} (--force)"
                : $"database not seeded yet; seeding {wanted}");
        }

        var held = $"scale {manifest.Scale} seed {manifest.Seed}";
        if (!manifest.IsComplete)
        {
            return new SeedDecision(false, $"the previous seed ({held}) did not finish; seeding {wanted} from scratch");
        }

        var sameData = manifest.Scale == request.Scale.Key && manifest.Seed == request.Seed;
        if (sameData && manifest.GeneratorVersion == GeneratorInfo.Version)
        {
            return request.Force
                ? new SeedDecision(false, $"database already holds {held}; reseeding because of --force")
                : new SeedDecision(true, $"database already holds {held} (generator v{manifest.GeneratorVersion}, complete); nothing to do");
        }

        if (sameData)
        {
            return new SeedDecision(false,
                $"database holds {held} from generator v{manifest.GeneratorVersion}; reseeding with generator v{GeneratorInfo.Version}");
        }

        if (!request.Force)
        {
            throw new SeedException($"database holds {held}; pass --force to reseed as {wanted}");
        }

        return new SeedDecision(false, $"database holds {held}; reseeding as {wanted} (--force)");
    }
}
