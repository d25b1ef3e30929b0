using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>
/// The centred second moments of two representations of the same samples, accumulated batch by batch: XᵀX, YᵀY, XᵀY
/// and the column sums, in float64 on the tensors' device. From them come linear CKA and every unit pair's correlation
/// without holding the samples: memory O((p + q)²), whatever the number of images.
/// </summary>
/// <remarks>
/// Linear CKA (Kornblith et al. 2019) in its feature-space form: with X̃, Ỹ the column-centred samples,
/// CKA = ‖X̃ᵀỸ‖²_F / (‖X̃ᵀX̃‖_F ‖ỸᵀỸ‖_F), equal to the HSIC form on the n × n Gram matrices. Centring is done at the
/// end (X̃ᵀX̃ = XᵀX − n μ_x μ_xᵀ); float64 keeps that subtraction exact enough for activations whose mean is of the
/// order of their spread (ReLU maps).
/// </remarks>
public sealed class CrossCovariance : IDisposable
{
    /// <summary>Rows converted to float64 at a time: bounds the temporary copy for large maps.</summary>
    const int ChunkRows = 1 << 16;

    readonly Tensor _xx, _yy, _xy, _sx, _sy;

    public CrossCovariance(int p, int q, Device? device = null)
    {
        if (p < 1 || q < 1) throw new ArgumentOutOfRangeException(nameof(p), "Both sides need at least one feature.");
        P = p;
        Q = q;
        var on = device ?? CPU;
        _xx = zeros([p, p], ScalarType.Float64, on);
        _yy = zeros([q, q], ScalarType.Float64, on);
        _xy = zeros([p, q], ScalarType.Float64, on);
        _sx = zeros([p], ScalarType.Float64, on);
        _sy = zeros([q], ScalarType.Float64, on);
    }

    public int P { get; }
    public int Q { get; }

    /// <summary>Where the moments are accumulated (samples are moved there).</summary>
    public Device Device => _xx.device;

    /// <summary>Samples accumulated so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds the samples x [n, p] and y [n, q] (row k of each is the same sample).</summary>
    public void Add(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.dim() != 2 || y.dim() != 2 || x.shape[1] != P || y.shape[1] != Q || x.shape[0] != y.shape[0])
            throw new ArgumentException($"Expected x [n, {P}] and y [n, {Q}], got [{string.Join(", ", x.shape)}] and [{string.Join(", ", y.shape)}].");
        long n = x.shape[0];
        for (long start = 0; start < n; start += ChunkRows)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(ChunkRows, n - start);
            var xs = x.narrow(0, start, length).to(ScalarType.Float64, _xx.device);
            var ys = y.narrow(0, start, length).to(ScalarType.Float64, _xx.device);
            var xt = xs.t();
            _xx.add_(xt.matmul(xs), Scalars.One);
            _yy.add_(ys.t().matmul(ys), Scalars.One);
            _xy.add_(xt.matmul(ys), Scalars.One);
            _sx.add_(xs.sum([0L]), Scalars.One); // [0L]: a bare 0 binds to sum(ScalarType?)
            _sy.add_(ys.sum([0L]), Scalars.One);
        }
        Count += n;
    }

    /// <summary>Linear CKA of the samples so far (NaN when either side has no variance).</summary>
    public double Cka()
    {
        RequireSamples();
        using var scope = NewDisposeScope();
        var (cxx, cyy, cxy) = Centred();
        double cross = cxy.square().sum().item<double>();
        double normX = cxx.square().sum().sqrt().item<double>();
        double normY = cyy.square().sum().sqrt().item<double>();
        return normX > 0 && normY > 0 ? cross / (normX * normY) : double.NaN;
    }

    /// <summary>Pearson's correlation of every unit of x with every unit of y, [p, q]; NaN where a unit has no variance.</summary>
    public double[,] Correlations()
    {
        RequireSamples();
        using var scope = NewDisposeScope();
        var (cxx, cyy, cxy) = Centred();
        var sdx = Spread(cxx, _xx);
        var sdy = Spread(cyy, _yy);
        var r = cxy.div(sdx.unsqueeze(1)).div(sdy.unsqueeze(0)).cpu();
        var values = r.data<double>().ToArray();
        var result = new double[P, Q];
        for (int i = 0; i < P; i++)
            for (int j = 0; j < Q; j++)
            {
                double v = values[i * Q + j];
                result[i, j] = double.IsFinite(v) ? Math.Clamp(v, -1, 1) : double.NaN;
            }
        return result;
    }

    /// <summary>Each unit's standard deviation (times √n); 0 for a unit whose variance is rounding noise against its
    /// second moment (a constant unit: the centring subtraction leaves a few ulps, not a spread).</summary>
    static Tensor Spread(Tensor centred, Tensor raw)
    {
        using var relative = Scalars.Of(1e-10);
        var variance = centred.diagonal();
        var noise = variance.le(raw.diagonal().mul(relative));
        return variance.clamp_min(0).masked_fill(noise, Scalars.Zero).sqrt();
    }

    (Tensor Xx, Tensor Yy, Tensor Xy) Centred()
    {
        using var count = Scalars.Of((double)Count);
        var mx = _sx.div(count);
        var my = _sy.div(count);
        var cxx = _xx.sub(mx.outer(_sx));
        var cyy = _yy.sub(my.outer(_sy));
        var cxy = _xy.sub(mx.outer(_sy));
        return (cxx, cyy, cxy);
    }

    void RequireSamples()
    {
        if (Count == 0) throw new InvalidOperationException("No samples were added.");
    }

    public void Dispose()
    {
        _xx.Dispose();
        _yy.Dispose();
        _xy.Dispose();
        _sx.Dispose();
        _sy.Dispose();
    }
}
