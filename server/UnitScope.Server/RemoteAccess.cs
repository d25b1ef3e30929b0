using UnitScope.Engine;
using UnitScope.Engine.Storage;

namespace UnitScope.Server;

/// <summary>
/// What a TCP client that has the token may do. The token is the keys to the daemon's account, as a Jupyter
/// server's is: whoever holds it loads and runs models with the daemon's rights. So the rest is narrowed to
/// what the editor needs: files only inside <see cref="Roots"/>, and no code of the client's own (a C# model's
/// source or assembly) unless <see cref="AllowCode"/>. Stdio needs none of this: its client is the local editor
/// that started the daemon, with the same rights.
/// </summary>
/// <param name="Token">What clients send in <c>initializationOptions.token</c>.</param>
public sealed record RemoteAccess(string Token)
{
    /// <summary>
    /// The folders requests may name files in (checkpoints, images, datasets, descriptions written) and that what is
    /// read beside them must lie in, symbolic links followed; the daemon's cache folder is always allowed. Default:
    /// the folder the server was started in.
    /// </summary>
    public IReadOnlyList<string> Roots { get; init; } = [Environment.CurrentDirectory];

    /// <summary>Whether loadModel may compile a C# source file or load an assembly: running the client's code in the daemon.</summary>
    public bool AllowCode { get; init; }
}

/// <summary><see cref="RemoteAccess"/> as a connection applies it.</summary>
internal sealed class RemotePolicy(RemoteAccess access)
{
    public string Token { get; } = access.Token;
    public bool AllowCode { get; } = access.AllowCode;
    /// <exception cref="UnitScopeException">InvalidArgument: a root that does not exist.</exception>
    public FileRoots Roots { get; } = new(access.Roots, CacheDirectory.Resolve());
}
