namespace QueryLab.Seed.Seeding;

/// <summary>
/// Seeds derived from (seed, stream, chunk) the same way on every machine and runtime
/// (string.GetHashCode is randomised per process, so it is never used).
/// </summary>
internal static class StableHash
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    public static ulong Of(int seed, string stream, long chunk)
    {
        var h = FnvOffset;
        foreach (var c in stream)
        {
            h = (h ^ c) * FnvPrime;
        }

        h = Mix(h ^ Mix((ulong)(uint)seed + 0x9E3779B97F4A7C15UL));
        return Mix(h ^ Mix((ulong)chunk + 0xD1B54A32D192ED03UL));
    }

    /// <summary>SplitMix64's step: advances <paramref name="state"/> and returns a well-mixed value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
