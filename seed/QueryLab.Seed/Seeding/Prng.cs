using System.Numerics;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// xoshiro256** (Blackman and Vigna): fast, and the same sequence on every runtime and machine, which
/// System.Random's unseeded path and Bogus's process-wide lock are not. Not thread-safe: one per chunk.
/// </summary>
internal sealed class Prng
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public Prng(ulong seed)
    {
        var x = seed;
        _s0 = StableHash.SplitMix64(ref x);
        _s1 = StableHash.SplitMix64(ref x);
        _s2 = StableHash.SplitMix64(ref x);
        _s3 = StableHash.SplitMix64(ref x);
    }

    /// <summary>A generator for one (seed, stream, chunk): independent of any other chunk or of the order chunks run in.</summary>
    public static Prng For(int seed, string stream, long chunk) => new(StableHash.Of(seed, stream, chunk));

    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n) by Lemire's multiply-high (bias below 2^-32 for the n used here).</summary>
    public int NextInt(int n) => (int)Math.BigMul(NextUInt64(), (ulong)n, out _);

    /// <summary>Uniform in [0, n).</summary>
    public long NextLong(long n) => (long)Math.BigMul(NextUInt64(), (ulong)n, out _);

    public double Uniform(double low, double high) => low + ((high - low) * NextDouble());

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal by Marsaglia's polar method: only +, *, / and sqrt (exact in IEEE 754) and <see cref="DetMath.Log"/>.</summary>
    public double NextNormal()
    {
        while (true)
        {
            var u = (2.0 * NextDouble()) - 1.0;
            var v = (2.0 * NextDouble()) - 1.0;
            var s = (u * u) + (v * v);
            if (s is > 0.0 and < 1.0)
            {
                return u * Math.Sqrt(-2.0 * DetMath.Log(s) / s);
            }
        }
    }

    /// <summary>exp(mu + sigma * N(0,1)).</summary>
    public double NextLogNormal(double mu, double sigma) => DetMath.Exp(mu + (sigma * NextNormal()));

    /// <summary>A version-4 UUID from 122 random bits.</summary>
    public Guid NextGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, NextUInt64());
        BitConverter.TryWriteBytes(bytes[8..], NextUInt64());
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
