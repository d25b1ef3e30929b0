using System.Globalization;
using System.Numerics;
using UnitScope.Engine.Checkpoints.Pickle;

namespace UnitScope.Engine.Checkpoints;

/// <summary>Scalars as Python prints them (str(); repr() for floats), for checkpoint metadata.</summary>
internal static class PythonText
{
    public static string Of(object? value) => value switch
    {
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        BigInteger i => i.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        _ => PyTypes.Describe(value),
    };

    /// <summary>repr(float): shortest round-trip digits; positional for 1e-4 ≤ |d| &lt; 1e16 (with ".0"
    /// when integral), else "1.5e-05" / "1e+16".</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        string sign = double.IsNegative(d) ? "-" : "";
        if (d == 0) return sign + "0.0";

        // Shortest digits and the decimal exponent of the first one, from .NET's round-trip form.
        string r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        int exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        string mantissa = e < 0 ? r : r[..e];
        int point = mantissa.IndexOf('.');
        string digits = mantissa.Replace(".", "");
        exponent += (point < 0 ? mantissa.Length : point) - 1;
        int leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0').TrimEnd('0');
        exponent -= leadingZeros;
        if (digits.Length == 0) digits = "0";

        if (exponent < -4 || exponent >= 16)
        {
            string m = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{m}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
        }
        if (exponent < 0)
            return sign + "0." + new string('0', -exponent - 1) + digits;
        string whole = digits.Length > exponent + 1 ? digits[..(exponent + 1)] : digits.PadRight(exponent + 1, '0');
        string fraction = digits.Length > exponent + 1 ? digits[(exponent + 1)..] : "0";
        return $"{sign}{whole}.{fraction}";
    }
}
