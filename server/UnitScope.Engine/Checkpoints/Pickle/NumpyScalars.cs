namespace UnitScope.Engine.Checkpoints.Pickle;

/// <summary>
/// numpy.dtype as pickled beside a numpy scalar (numpy.core.multiarray.scalar(dtype, bytes)):
/// training scripts often store best_prec1/epoch as numpy scalars. Only the type code and the
/// byte order (set by BUILD) are kept; nothing of numpy runs.
/// </summary>
internal sealed class NumpyDtype(string code)
{
    public string Code { get; } = code;
    public bool BigEndian { get; set; }

    /// <summary>BUILD's state: (version, byteorder, subarray, names, fields, elsize, alignment, flags).</summary>
    public void SetState(object? state)
    {
        if (state is PyTuple { Count: >= 2 } t && t[1] is string order)
            BigEndian = order == ">";
    }
}

internal static class NumpyScalars
{
    /// <summary>Decodes the raw bytes of a numpy scalar into long, double or bool.</summary>
    public static object Decode(NumpyDtype dtype, byte[] raw)
    {
        string code = dtype.Code.TrimStart('<', '>', '=', '|');
        (char kind, int size) = code switch
        {
            "?" or "b1" => ('b', 1),
            "d" or "f8" => ('f', 8),
            "f" or "f4" => ('f', 4),
            "e" or "f2" => ('f', 2),
            "q" or "l" or "i8" => ('i', 8),
            "i" or "i4" => ('i', 4),
            "h" or "i2" => ('i', 2),
            "b" or "i1" => ('i', 1),
            "Q" or "L" or "u8" => ('u', 8),
            "I" or "u4" => ('u', 4),
            "H" or "u2" => ('u', 2),
            "B" or "u1" => ('u', 1),
            _ => throw CheckpointProblem.Corrupt($"numpy scalar of dtype '{dtype.Code}' is not supported (only bool, int, uint and float scalars)"),
        };
        if (raw.Length != size)
            throw CheckpointProblem.Corrupt($"numpy scalar of dtype '{dtype.Code}' holds {raw.Length} bytes instead of {size}");
        Span<byte> b = (byte[])raw.Clone();
        if (dtype.BigEndian != !BitConverter.IsLittleEndian) b.Reverse();
        return (kind, size) switch
        {
            ('b', _) => b[0] != 0,
            ('f', 8) => BitConverter.ToDouble(b),
            ('f', 4) => (double)BitConverter.ToSingle(b),
            ('f', 2) => (double)BitConverter.ToHalf(b),
            ('i', 8) => BitConverter.ToInt64(b),
            ('i', 4) => (long)BitConverter.ToInt32(b),
            ('i', 2) => (long)BitConverter.ToInt16(b),
            ('i', 1) => (long)(sbyte)b[0],
            ('u', 8) => BitConverter.ToUInt64(b) is var u && u <= long.MaxValue ? (long)u : (object)new System.Numerics.BigInteger(u),
            ('u', 4) => (long)BitConverter.ToUInt32(b),
            ('u', 2) => (long)BitConverter.ToUInt16(b),
            _ => (long)b[0],
        };
    }
}
