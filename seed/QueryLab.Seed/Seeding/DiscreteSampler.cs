namespace QueryLab.Seed.Seeding;

/// <summary>Draws an index with probability proportional to its weight, by binary search on the cumulative weights.</summary>
internal sealed class DiscreteSampler
{
    private readonly double[] _cumulative;

    public DiscreteSampler(IReadOnlyList<double> weights)
    {
        if (weights.Count == 0)
        {
            throw new ArgumentException("at least one weight is needed", nameof(weights));
        }

        _cumulative = new double[weights.Count];
        var total = 0.0;
        for (var i = 0; i < weights.Count; i++)
        {
            if (!(weights[i] >= 0.0))
            {
                throw new ArgumentException("weights must be non-negative", nameof(weights));
            }

            total += weights[i];
            _cumulative[i] = total;
        }

        if (!(total > 0.0))
        {
            throw new ArgumentException("the weights add up to zero", nameof(weights));
        }
    }

    public double Total => _cumulative[^1];

    /// <summary>The probability of index i.</summary>
    public double Probability(int i) => (_cumulative[i] - (i == 0 ? 0.0 : _cumulative[i - 1])) / Total;

    public int Sample(Prng rng) => SampleRange(rng, 0, _cumulative.Length - 1);

    /// <summary>An index in [first, last], with the weights restricted to that range.</summary>
    public int SampleRange(Prng rng, int first, int last)
    {
        var low = first == 0 ? 0.0 : _cumulative[first - 1];
        var target = low + ((_cumulative[last] - low) * rng.NextDouble());
        int lo = first, hi = last;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_cumulative[mid] > target)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    /// <summary>Zipf popularity over ranks 1..n: weight of rank k is k^-s.</summary>
    public static DiscreteSampler Zipf(int n, double s)
    {
        var weights = new double[n];
        for (var k = 1; k <= n; k++)
        {
            weights[k - 1] = DetMath.Exp(-s * DetMath.Log(k));
        }

        return new DiscreteSampler(weights);
    }
}
