namespace UnitScope.Cli;

/// <summary>
/// A read-only wrapper whose async reads end when their cancellation token fires, even when the
/// inner stream ignores the token. The console's stdin does (its reads block in the kernel until
/// input arrives), so without this the daemon, told to <c>exit</c>, would wait for the client to
/// close stdin before <c>JsonRpc</c> completes. The abandoned read stays blocked on a pool thread,
/// which does not keep the process alive.
/// </summary>
sealed class AbandonableReadStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.CanBeCanceled)
            return inner.ReadAsync(buffer, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<int>(inner.ReadAsync(buffer, cancellationToken).AsTask().WaitAsync(cancellationToken));
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        // The console stream is the process's; leave it open.
        base.Dispose(disposing);
    }
}
