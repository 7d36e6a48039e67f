namespace QueryLab.Seed.Seeding;

/// <summary>
/// exp and log from IEEE 754 +, -, *, / only. Math.Exp/Math.Log call the platform's C library, whose last bit
/// differs between glibc, musl and Windows; a cent rounded the other way would change a table's checksum.
/// Accurate to a few ulp, which is all a generator needs, and bit-identical everywhere.
/// </summary>
internal static class DetMath
{
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double InvLn2 = 1.44269504088896338700e+00;
    private const double Sqrt2 = 1.41421356237309514547;

    /// <summary>Natural logarithm of a positive, finite, normal x.</summary>
    public static double Log(double x)
    {
        if (!(x > 0.0) || double.IsInfinity(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "log needs a positive finite value");
        }

        var bits = BitConverter.DoubleToInt64Bits(x);
        var exponent = (int)((bits >> 52) & 0x7FF);
        if (exponent == 0)
        {
            // Subnormal: scale up by 2^54 exactly, then correct the exponent.
            bits = BitConverter.DoubleToInt64Bits(x * 18014398509481984.0);
            exponent = (int)((bits >> 52) & 0x7FF) - 54;
        }

        var e = exponent - 1023;
        var m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > Sqrt2)
        {
            m *= 0.5;
            e++;
        }

        // log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: the series to s^21 is exact to double precision.
        var s = (m - 1.0) / (m + 1.0);
        var s2 = s * s;
        var p = 1.0 / 21.0;
        for (var k = 19; k >= 1; k -= 2)
        {
            p = (p * s2) + (1.0 / k);
        }

        return (e * Ln2Hi) + ((e * Ln2Lo) + (2.0 * s * p));
    }

    /// <summary>e^x for |x| below 700.</summary>
    public static double Exp(double x)
    {
        if (double.IsNaN(x) || x > 700.0 || x < -700.0)
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "exp is only needed on [-700, 700]");
        }

        var k = Math.Round(x * InvLn2);
        var r = (x - (k * Ln2Hi)) - (k * Ln2Lo); // |r| <= 0.35
        var p = 1.0;
        for (var n = 16; n >= 1; n--)
        {
            p = 1.0 + (p * r / n);
        }

        return p * BitConverter.Int64BitsToDouble((long)((int)k + 1023) << 52);
    }
}
