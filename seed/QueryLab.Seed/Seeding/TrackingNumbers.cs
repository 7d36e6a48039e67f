namespace QueryLab.Seed.Seeding;

/// <summary>
/// Tracking numbers in each carrier's format. The serial digits are a bijection of the shipment's global index on
/// [0, 10^k) (<see cref="DecimalBijection"/>): distinct shipments never share a number, and consecutive shipments show
/// no visible sequence.
/// Formats differ in length or in their leading characters, so numbers of different formats never collide either:
/// ups "1Z" + 6-char shipper account + 2-digit service + 8 digits (18); fedex 12 digits; dhl 10 digits;
/// usps "9400" + 18 digits (22); postnl "3S" + 4-letter customer code + 9 digits (15); generic 3 capitals + 12 digits (15).
/// </summary>
internal sealed class TrackingNumbers
{
    /// <summary>The 8 serial digits of ups bound the scale: at most 10^8 shipments.</summary>
    public const long MaxShipments = 100_000_000L;

    private static readonly string[] UpsServices = ["01", "02", "03", "12", "13", "59"];

    private readonly DecimalBijection _ups;
    private readonly DecimalBijection _fedex;
    private readonly DecimalBijection _dhl;
    private readonly DecimalBijection _usps;
    private readonly DecimalBijection _postnl;
    private readonly DecimalBijection _generic;
    private readonly ValuePools _pools;

    public TrackingNumbers(int seed, ValuePools pools)
    {
        _pools = pools;
        _ups = new DecimalBijection(8, seed, "ups");
        _fedex = new DecimalBijection(12, seed, "fedex");
        _dhl = new DecimalBijection(10, seed, "dhl");
        _usps = new DecimalBijection(18, seed, "usps");
        _postnl = new DecimalBijection(9, seed, "postnl");
        _generic = new DecimalBijection(12, seed, "generic");
    }

    public string Format(CarrierRow carrier, long shipmentIndex, Prng rng)
    {
        Span<char> buffer = stackalloc char[32];
        int length;
        switch (carrier.Format)
        {
            case TrackingFormat.Ups:
                "1Z".CopyTo(buffer);
                _pools.UpsAccounts[rng.NextInt(_pools.UpsAccounts.Length)].CopyTo(buffer[2..]);
                UpsServices[rng.NextInt(UpsServices.Length)].CopyTo(buffer[8..]);
                _ups.Write(shipmentIndex, buffer[10..18]);
                length = 18;
                break;
            case TrackingFormat.Fedex:
                _fedex.Write(shipmentIndex, buffer[..12]);
                length = 12;
                break;
            case TrackingFormat.Dhl:
                _dhl.Write(shipmentIndex, buffer[..10]);
                length = 10;
                break;
            case TrackingFormat.Usps:
                "9400".CopyTo(buffer);
                _usps.Write(shipmentIndex, buffer[4..22]);
                length = 22;
                break;
            case TrackingFormat.Postnl:
                "3S".CopyTo(buffer);
                _pools.PostnlCustomers[rng.NextInt(_pools.PostnlCustomers.Length)].CopyTo(buffer[2..]);
                _postnl.Write(shipmentIndex, buffer[6..15]);
                length = 15;
                break;
            default:
                carrier.TrackingPrefix.CopyTo(buffer);
                _generic.Write(shipmentIndex, buffer.Slice(carrier.TrackingPrefix.Length, 12));
                length = carrier.TrackingPrefix.Length + 12;
                break;
        }

        return new string(buffer[..length]);
    }
}

/// <summary>
/// A seed-dependent bijection on [0, 10^digits), written as zero-padded decimal: a four-round Feistel network over the
/// decimal digits (split into a high part of <c>digits - digits/2</c> and a low part of <c>digits/2</c> digits, the
/// halves swapping sizes each round). Each round maps (L, R) to (R, (L + F(R)) mod 10^|L|), which is invertible
/// whatever F is, so the whole is a permutation; F is a keyed 64-bit mix, so consecutive indexes land far apart.
/// </summary>
internal sealed class DecimalBijection
{
    private const int Rounds = 4;

    private readonly int _digits;
    private readonly ulong _modulus;
    private readonly ulong[] _keys = new ulong[Rounds];

    public DecimalBijection(int digits, int seed, string name)
    {
        if (digits is < 2 or > 18)
        {
            throw new ArgumentOutOfRangeException(nameof(digits));
        }

        _digits = digits;
        _modulus = Pow10(digits);
        var rng = Prng.For(seed, "tracking:" + name, 0);
        for (var i = 0; i < Rounds; i++)
        {
            _keys[i] = rng.NextUInt64();
        }
    }

    public ulong Apply(long index)
    {
        if (index < 0 || (ulong)index >= _modulus)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }

        var x = (ulong)index;
        var high = _digits - (_digits / 2); // digits of L
        for (var round = 0; round < Rounds; round++)
        {
            var low = _digits - high; // digits of R
            var lowMod = Pow10(low);
            var highMod = Pow10(high);
            var l = x / lowMod;
            var r = x % lowMod;
            var f = Mix(r ^ _keys[round]) % highMod;
            x = (r * highMod) + ((l + f) % highMod);
            high = low;
        }

        return x;
    }

    public void Write(long index, Span<char> destination)
    {
        var x = Apply(index);
        for (var i = _digits - 1; i >= 0; i--)
        {
            destination[i] = (char)('0' + (int)(x % 10));
            x /= 10;
        }
    }

    private static ulong Pow10(int n)
    {
        ulong p = 1;
        for (var i = 0; i < n; i++)
        {
            p *= 10;
        }

        return p;
    }

    private static ulong Mix(ulong z)
    {
        var state = z;
        return StableHash.SplitMix64(ref state);
    }
}
