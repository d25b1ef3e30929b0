// MSBuild task (compiled by RoslynCodeTaskFactory): sets VER_FLG_WEAK on one symbol-version
// requirement of ELF64 little-endian shared libraries, so a missing version is a loader warning
// instead of a load failure. Skips everything when the system libstdc++ provides the version.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class WeakenElfVersionNeed : Task
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlagWeak = 0x2;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string VersionName { get; set; } = "";

    public override bool Execute()
    {
        if (SystemLibStdCxxProvides(VersionName))
        {
            Log.LogMessage(MessageImportance.Low, $"System libstdc++ provides {VersionName}; nothing to patch.");
            return true;
        }
        foreach (var item in Files)
        {
            string path = item.ItemSpec;
            try
            {
                string outcome = Patch(path, VersionName);
                Log.LogMessage(MessageImportance.Normal, $"{path}: {outcome}");
            }
            catch (Exception e)
            {
                Log.LogError($"Could not patch {path} to make {VersionName} weak: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    static bool SystemLibStdCxxProvides(string version)
    {
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (string candidate in LibStdCxxCandidates)
        {
            if (File.Exists(candidate) && IndexOf(File.ReadAllBytes(candidate), needle) >= 0)
                return true;
        }
        return false;
    }

    /// <returns>What was done, for the build log.</returns>
    public static string Patch(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only ELF64 little-endian is supported");

        long sectionHeaders = (long)BitConverter.ToUInt64(elf, 0x28);
        int sectionHeaderSize = BitConverter.ToUInt16(elf, 0x3A);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3C);

        for (int s = 0; s < sectionCount; s++)
        {
            long header = sectionHeaders + (long)s * sectionHeaderSize;
            if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed) continue;

            long verneedOffset = (long)BitConverter.ToUInt64(elf, (int)header + 24);
            uint stringSectionIndex = BitConverter.ToUInt32(elf, (int)header + 40);
            uint verneedCount = BitConverter.ToUInt32(elf, (int)header + 44);
            long stringsHeader = sectionHeaders + stringSectionIndex * sectionHeaderSize;
            long strings = (long)BitConverter.ToUInt64(elf, (int)stringsHeader + 24);

            long need = verneedOffset;
            for (uint n = 0; n < verneedCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    uint nameOffset = BitConverter.ToUInt32(elf, (int)aux + 8);
                    if (ReadCString(elf, strings + nameOffset) == version)
                    {
                        int flagsAt = (int)aux + 4;
                        ushort flags = BitConverter.ToUInt16(elf, flagsAt);
                        if ((flags & VerFlagWeak) != 0) return $"{version} already weak";
                        BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(elf, flagsAt);
                        string temp = path + ".patching";
                        File.WriteAllBytes(temp, elf);
                        // Replace the file rather than write into it: it may be a hard link into the NuGet cache.
                        File.Delete(path);
                        File.Move(temp, path);
                        return $"marked {version} weak";
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
        }
        return $"does not require {version}";
    }

    static string ReadCString(byte[] bytes, long offset)
    {
        int end = (int)offset;
        while (end < bytes.Length && bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(bytes, (int)offset, end - (int)offset);
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
