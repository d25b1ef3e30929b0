using System.Globalization;
using System.Numerics;
using System.Text;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Checkpoints.Pickle;

namespace UnitScope.Engine.Tests.Checkpoints;

public class UnpicklerTests
{
    /// <summary>Unpickles <paramref name="pickle"/> (Latin-1 text) and compares its Python repr.</summary>
    static void Check(string pickle, string expectedRepr)
    {
        using var stream = new MemoryStream(Encoding.Latin1.GetBytes(pickle));
        Repr(Unpickler.Load(stream)).Should().Be(expectedRepr);
        stream.Position.Should().Be(stream.Length, "the unpickler stops right after STOP");
    }

    static void CheckFails(string pickle, EngineErrorKind kind, string messagePart)
    {
        using var stream = new MemoryStream(Encoding.Latin1.GetBytes(pickle));
        var act = () => Unpickler.Load(stream);
        var problem = act.Should().Throw<CheckpointProblem>().Which;
        problem.Kind.Should().Be(kind);
        problem.Message.Should().Contain(messagePart);
    }

    static string Repr(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        BigInteger i => i.ToString(CultureInfo.InvariantCulture),
        double d => PythonText.Float(d),
        string s => $"'{s}'",
        byte[] b => $"b'{Encoding.Latin1.GetString(b)}'",
        PyTuple t => t.Count == 1 ? $"({Repr(t[0])},)" : "(" + string.Join(", ", t.Items.Select(Repr)) + ")",
        PyList l => "[" + string.Join(", ", l.Items.Select(Repr)) + "]",
        PyDict d => "{" + string.Join(", ", d.Entries.Select(e => Repr(e.Key) + ": " + Repr(e.Value))) + "}",
        _ => PyTypes.Describe(value),
    };

    [Theory]
    [InlineData("\u0080\u0002K\u0005.", "5")]
    [InlineData("J\u00ff\u00ff\u00ff\u00ff.", "-1")]
    [InlineData("M\u0001\u0002.", "513")]
    [InlineData("\u008a\u0001\u00ff.", "-1")]
    [InlineData("\u008a\u0000.", "0")]
    [InlineData("\u008b\u0002\u0000\u0000\u0000\u00ff\u007f.", "32767")]
    [InlineData("\u008a\u000a\u006c\u00fc\u009c\u0046\u00f9\u0020\u006a\u00a8\u0050\u0019.", "119547037146038801333356")]
    [InlineData("G\u003f\u00f8\u0000\u0000\u0000\u0000\u0000\u0000.", "1.5")]
    [InlineData("I01\n.", "True")]
    [InlineData("I42\n.", "42")]
    [InlineData("L12345678901234567890L\n.", "12345678901234567890")]
    [InlineData("F0.25\n.", "0.25")]
    [InlineData("N.", "None")]
    [InlineData("\u0088\u0089\u0086.", "(True, False)")]
    public void Numbers_and_constants(string pickle, string repr) => Check(pickle, repr);

    [Theory]
    [InlineData("\u008c\u0003h\u00c3\u00a9\u0094.", "'hé'")]   // SHORT_BINUNICODE (UTF-8), MEMOIZE
    [InlineData("\u008d\u0002\u0000\u0000\u0000\u0000\u0000\u0000\u0000ab.", "'ab'")] // BINUNICODE8
    [InlineData("U\u0003abc.", "'abc'")]                            // SHORT_BINSTRING (Python 2)
    [InlineData("T\u0001\u0000\u0000\u0000z.", "'z'")]              // BINSTRING
    [InlineData("C\u0002\u0000\u00ff.", "b'\u0000\u00ff'")]        // SHORT_BINBYTES
    [InlineData("B\u0001\u0000\u0000\u0000x.", "b'x'")]            // BINBYTES
    [InlineData("\u008e\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000y.", "b'y'")] // BINBYTES8
    [InlineData("c_codecs\nencode\nX\u0002\u0000\u0000\u0000\u00c3\u00bfX\u0006\u0000\u0000\u0000latin1\u0086R.", "b'\u00ff'")]
    public void Strings_and_bytes(string pickle, string repr) => Check(pickle, repr);

    [Theory]
    [InlineData("(K\u0001K\u0002l.", "[1, 2]")]
    [InlineData("]K\u0001aK\u0002a.", "[1, 2]")]
    [InlineData("](K\u0001K\u0002e.", "[1, 2]")]
    [InlineData("(K\u0001K\u0002d.", "{1: 2}")]
    [InlineData("}(K\u0001K\u0002K\u0001K\u0003u.", "{1: 3}")]
    [InlineData("}K\u0001NsNK\u0002s.", "{1: None, None: 2}")]
    [InlineData("(K\u0001K\u0002K\u0003t.", "(1, 2, 3)")]
    [InlineData(")K\u0001\u0085K\u0001K\u0002\u0086\u0087.", "((), (1,), (1, 2))")]
    [InlineData("\u008f(K\u0001K\u0002\u0090.", "[1, 2]")]            // EMPTY_SET + ADDITEMS
    [InlineData("(K\u0001\u0091.", "[1]")]                            // FROZENSET
    [InlineData("ccollections\nOrderedDict\n)R.", "{}")]
    [InlineData("ccollections\nOrderedDict\n]K\u0001K\u0002\u0086a\u0085R.", "{1: 2}")]
    [InlineData("ccollections\nOrderedDict\n)\u0081.", "{}")]        // NEWOBJ
    [InlineData("ctorch\nSize\n(K\u0002K\u0003t\u0085R.", "(2, 3)")]
    public void Containers(string pickle, string repr) => Check(pickle, repr);

    [Theory]
    [InlineData("K\u0007q\u0000\u0085h\u0000\u0086.", "((7,), 7)")]                               // BINPUT/BINGET
    [InlineData("K\u0003r\u0005\u0000\u0000\u0000j\u0005\u0000\u0000\u0000\u0086.", "(3, 3)")]   // LONG_BINPUT/LONG_BINGET
    [InlineData("\u0095\u0004\u0000\u0000\u0000\u0000\u0000\u0000\u0000K\u0003\u0094h\u0000\u0086.", "(3, 3)")] // FRAME, MEMOIZE
    [InlineData("K\u0003p1\n0g1\n.", "3")]                                                         // PUT, POP, GET
    [InlineData("K\u00012\u0086.", "(1, 1)")]                                                      // DUP
    [InlineData("K\u0001(K\u0002K\u00031.", "1")]                                                  // POP_MARK
    [InlineData("K\u0001(0.", "1")]                                                                // POP of an empty mark
    public void Memo_and_stack(string pickle, string repr) => Check(pickle, repr);

    [Theory]
    [InlineData("", "ends early")]
    [InlineData("K", "ends early")]
    [InlineData("K\u0001K\u0002.", "2 values on its stack")]
    [InlineData("a.", "stack underflow")]
    [InlineData("(\u0086.", "stack underflow")]
    [InlineData("t.", "MARK missing")]
    [InlineData("\u00ff", "unsupported pickle opcode 0xff")]
    [InlineData("X\u00ff\u00ff\u00ff\u007f", "runs past the end")]
    [InlineData("\u008b\u00ff\u00ff\u00ff\u007f", "too large")]
    [InlineData("h\u0005.", "memo entry 5 is read before it is written")]
    [InlineData("N\u0085Q.", "unexpected persistent id")]
    [InlineData("K\u0001)R.", "not callable")]
    [InlineData("K\u0000K\u0001K\u0002s.", "SETITEM on a int")]
    [InlineData("ctorch\nComplexFloatStorage\n.", "does not read")]
    [InlineData("ctorch._utils\n_rebuild_tensor_v2\n)R.", "was given 0 arguments")]
    public void Malformed_pickles_are_corrupt(string pickle, string messagePart) =>
        CheckFails(pickle, EngineErrorKind.CorruptCheckpoint, messagePart);

    [Theory]
    [InlineData("cbuiltins\neval\n.", "builtins.eval")]
    [InlineData("\u008c\u0008builtins\u008c\u0004exec\u0093.", "builtins.exec")]
    [InlineData("csubprocess\nPopen\n.", "subprocess.Popen")]
    [InlineData("ctorch\nload\n.", "torch.load")]
    [InlineData("ctorch.storage\n_load_from_bytes\n.", "torch.storage._load_from_bytes")]
    [InlineData("cnumpy.core.multiarray\n_reconstruct\n.", "numpy.core.multiarray._reconstruct")]
    public void Globals_outside_the_allow_list_are_refused(string pickle, string global) =>
        CheckFails(pickle, EngineErrorKind.UnsafeCheckpoint, $"refused to load: the pickle calls {global} (only tensor-rebuild globals are allowed)");

    [Fact]
    public void System_globals_get_no_model_hint()
    {
        using var stream = new MemoryStream(Encoding.Latin1.GetBytes("csubprocess\nPopen\n."));
        var act = () => Unpickler.Load(stream);
        act.Should().Throw<CheckpointProblem>().Which.Message.Should().NotContain("state_dict");
    }
}
