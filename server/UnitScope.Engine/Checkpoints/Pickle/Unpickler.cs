using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace UnitScope.Engine.Checkpoints.Pickle;

/// <summary>
/// A restricted unpickler: a stack machine over the binary opcodes of protocols 2–5 (and the few
/// text ones older files use) that builds plain data. Globals go through <see cref="AllowedGlobals"/>;
/// persistent ids (PyTorch's storages) through the caller's loader. It never imports or runs
/// anything. Reads exactly one pickle: the stream is left just after its STOP.
/// </summary>
internal sealed class Unpickler
{
    const int MaxLineLength = 4096;

    readonly Stream _stream;
    readonly Func<object?, object?>? _persistentLoad;
    readonly List<object?> _stack = new();
    readonly Stack<int> _marks = new();
    readonly Dictionary<long, object?> _memo = new();
    long _opcodeStart;

    Unpickler(Stream stream, Func<object?, object?>? persistentLoad)
    {
        if (!stream.CanSeek)
            throw new ArgumentException("The unpickler needs a seekable stream.", nameof(stream));
        _stream = stream;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Reads one pickle from the stream's current position.</summary>
    /// <param name="persistentLoad">Turns a persistent id (BINPERSID) into a value; null: refuse them.</param>
    public static object? Load(Stream stream, Func<object?, object?>? persistentLoad = null) =>
        new Unpickler(stream, persistentLoad).Run();

    object? Run()
    {
        while (true)
        {
            _opcodeStart = _stream.Position;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break;                                   // PROTO
                case 0x95: ReadBytes(8); break;                                 // FRAME: a hint only
                case (byte)'.': return StopValue();                             // STOP

                case (byte)'N': Push(null); break;                              // NONE
                case 0x88: Push(true); break;                                   // NEWTRUE
                case 0x89: Push(false); break;                                  // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;  // BININT
                case (byte)'K': Push((long)ReadByte()); break;                  // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 0x8a: Push(ReadLong(ReadByte())); break;                   // LONG1
                case 0x8b: Push(ReadLong(ReadLength4())); break;                // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case (byte)'I': Push(ParseIntLine(ReadLine())); break;          // INT (text)
                case (byte)'L': Push(ParseLongLine(ReadLine())); break;         // LONG (text)
                case (byte)'F': Push(ParseFloatLine(ReadLine())); break;        // FLOAT (text)

                case 0x8c: Push(Utf8(ReadBytes(ReadByte()))); break;            // SHORT_BINUNICODE
                case (byte)'X': Push(Utf8(ReadBytes(ReadLength4()))); break;    // BINUNICODE
                case 0x8d: Push(Utf8(ReadBytes(ReadLength8()))); break;         // BINUNICODE8
                case (byte)'U': Push(Utf8(ReadBytes(ReadByte()))); break;       // SHORT_BINSTRING (Python 2 str)
                case (byte)'T': Push(Utf8(ReadBytes(ReadLength4()))); break;    // BINSTRING (Python 2 str)
                case (byte)'C': Push(ReadBytes(ReadByte())); break;             // SHORT_BINBYTES
                case (byte)'B': Push(ReadBytes(ReadLength4())); break;          // BINBYTES
                case 0x8e: Push(ReadBytes(ReadLength8())); break;               // BINBYTES8

                case (byte)'}': Push(new PyDict()); break;                      // EMPTY_DICT
                case (byte)']': Push(new PyList()); break;                      // EMPTY_LIST
                case (byte)')': Push(PyTuple.Empty); break;                     // EMPTY_TUPLE
                case 0x8f: Push(new PyList()); break;                           // EMPTY_SET
                case (byte)'(': _marks.Push(_stack.Count); break;               // MARK
                case 0x85: Push(new PyTuple(PopN(1))); break;                   // TUPLE1
                case 0x86: Push(new PyTuple(PopN(2))); break;                   // TUPLE2
                case 0x87: Push(new PyTuple(PopN(3))); break;                   // TUPLE3
                case (byte)'t': Push(new PyTuple(PopMark())); break;            // TUPLE
                case (byte)'l': Push(ListOf(PopMark())); break;                 // LIST
                case 0x91: Push(ListOf(PopMark())); break;                      // FROZENSET
                case (byte)'d': Push(DictOf(PopMark())); break;                 // DICT
                case (byte)'a': Append(Pop()); break;                           // APPEND
                case (byte)'e': foreach (var v in PopMark()) Append(v); break;  // APPENDS
                case 0x90: foreach (var v in PopMark()) Append(v); break;       // ADDITEMS
                case (byte)'s': SetItem(); break;                               // SETITEM
                case (byte)'u': SetItems(); break;                              // SETITEMS

                case (byte)'0': PopOrMark(); break;                             // POP
                case (byte)'1': PopMark(); break;                               // POP_MARK
                case (byte)'2': Push(Peek()); break;                            // DUP

                case (byte)'q': _memo[ReadByte()] = Peek(); break;              // BINPUT
                case (byte)'r': _memo[ReadLength4()] = Peek(); break;           // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                  // MEMOIZE
                case (byte)'p': _memo[ParseMemoKey(ReadLine())] = Peek(); break; // PUT (text)
                case (byte)'h': Push(MemoGet(ReadByte())); break;               // BINGET
                case (byte)'j': Push(MemoGet(ReadLength4())); break;            // LONG_BINGET
                case (byte)'g': Push(MemoGet(ParseMemoKey(ReadLine()))); break; // GET (text)

                case (byte)'c':                                                 // GLOBAL
                {
                    string module = ReadLine(), name = ReadLine();
                    Push(AllowedGlobals.Resolve(module, name));
                    break;
                }
                case 0x93:                                                      // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n)
                        throw Corrupt("STACK_GLOBAL needs two strings");
                    Push(AllowedGlobals.Resolve(m, n));
                    break;
                }
                case (byte)'R':                                                 // REDUCE
                {
                    var args = PopTuple("REDUCE");
                    var callable = Pop();
                    Push(AllowedGlobals.Call(callable, args));
                    break;
                }
                case 0x81:                                                      // NEWOBJ
                {
                    var args = PopTuple("NEWOBJ");
                    Push(AllowedGlobals.New(Pop(), args));
                    break;
                }
                case 0x92:                                                      // NEWOBJ_EX
                {
                    Pop(); // kwargs
                    var args = PopTuple("NEWOBJ_EX");
                    Push(AllowedGlobals.New(Pop(), args));
                    break;
                }
                case (byte)'b':                                                 // BUILD
                {
                    var state = Pop();
                    AllowedGlobals.Build(Peek(), state);
                    break;
                }
                case (byte)'Q':                                                 // BINPERSID
                {
                    var pid = Pop();
                    if (_persistentLoad is null)
                        throw Corrupt("unexpected persistent id in this pickle");
                    Push(_persistentLoad(pid));
                    break;
                }
                default:
                    throw Corrupt($"unsupported pickle opcode 0x{op:x2}");
            }
        }
    }

    object? StopValue()
    {
        if (_stack.Count != 1 || _marks.Count != 0)
            throw Corrupt($"the pickle ends with {_stack.Count} values on its stack instead of one");
        return _stack[0];
    }

    // ---- stack ----

    void Push(object? value) => _stack.Add(value);

    int Fence => _marks.Count > 0 ? _marks.Peek() : 0;

    object? Pop()
    {
        if (_stack.Count <= Fence)
            throw Corrupt("pickle stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    object? Peek() => _stack.Count > Fence ? _stack[^1] : throw Corrupt("pickle stack underflow");

    object?[] PopN(int n)
    {
        if (_stack.Count - Fence < n)
            throw Corrupt("pickle stack underflow");
        var items = _stack.GetRange(_stack.Count - n, n).ToArray();
        _stack.RemoveRange(_stack.Count - n, n);
        return items;
    }

    object?[] PopMark()
    {
        if (_marks.Count == 0)
            throw Corrupt("pickle MARK missing");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start).ToArray();
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    void PopOrMark()
    {
        if (_stack.Count > Fence) Pop();
        else PopMark();
    }

    PyTuple PopTuple(string op) => Pop() as PyTuple ?? throw Corrupt($"{op} needs a tuple of arguments");

    // ---- containers ----

    static PyList ListOf(object?[] items)
    {
        var list = new PyList();
        list.Items.AddRange(items);
        return list;
    }

    PyDict DictOf(object?[] items)
    {
        if (items.Length % 2 != 0)
            throw Corrupt("DICT needs key/value pairs");
        var dict = new PyDict();
        for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
        return dict;
    }

    void Append(object? value)
    {
        if (Peek() is not PyList list)
            throw Corrupt($"APPEND to a {PyTypes.Describe(Peek())}");
        list.Items.Add(value);
    }

    void SetItem()
    {
        var value = Pop();
        var key = Pop();
        if (Peek() is not PyDict dict)
            throw Corrupt($"SETITEM on a {PyTypes.Describe(Peek())}");
        dict.Set(key, value);
    }

    void SetItems()
    {
        var items = PopMark();
        if (items.Length % 2 != 0)
            throw Corrupt("SETITEMS needs key/value pairs");
        if (Peek() is not PyDict dict)
            throw Corrupt($"SETITEMS on a {PyTypes.Describe(Peek())}");
        for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
    }

    object? MemoGet(long key) =>
        _memo.TryGetValue(key, out var v) ? v : throw Corrupt($"memo entry {key} is read before it is written");

    // ---- reading ----

    byte ReadByte()
    {
        int b = _stream.ReadByte();
        return b < 0 ? throw Corrupt("the pickle ends early (no STOP)") : (byte)b;
    }

    byte[] ReadBytes(long count)
    {
        if (count < 0 || count > _stream.Length - _stream.Position)
            throw Corrupt($"a pickle value of {count} bytes runs past the end of the data");
        var buffer = new byte[count];
        _stream.ReadExactly(buffer);
        return buffer;
    }

    long ReadLength4() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    long ReadLength8()
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
        return n > long.MaxValue ? throw Corrupt("a pickle length is too large") : (long)n;
    }

    object ReadLong(long byteCount)
    {
        if (byteCount > 1024)
            throw Corrupt($"a pickled int of {byteCount} bytes is too large");
        var value = new BigInteger(ReadBytes(byteCount), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    string ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            byte b = ReadByte();
            if (b == (byte)'\n')
                return Encoding.UTF8.GetString(bytes.ToArray());
            if (bytes.Count >= MaxLineLength)
                throw Corrupt("a pickle text line is too long");
            bytes.Add(b);
        }
    }

    static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    object ParseIntLine(string line) => line switch
    {
        "00" => false,
        "01" => true,
        _ => ParseLongLine(line),
    };

    object ParseLongLine(string line)
    {
        string digits = line.EndsWith('L') ? line[..^1] : line;
        if (!BigInteger.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw Corrupt($"'{Truncate(line)}' is not an int");
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    double ParseFloatLine(string line) =>
        double.TryParse(line, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            ? d
            : throw Corrupt($"'{Truncate(line)}' is not a float");

    long ParseMemoKey(string line) =>
        long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out long k)
            ? k
            : throw Corrupt($"'{Truncate(line)}' is not a memo key");

    static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    CheckpointProblem Corrupt(string message) => CheckpointProblem.Corrupt($"{message} (pickle byte {_opcodeStart})");
}
