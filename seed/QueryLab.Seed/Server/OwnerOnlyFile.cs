using System.Text;

namespace QueryLab.Seed.Server;

/// <summary>Files and folders only their owner can read: the embedded server's password lives in one.</summary>
public static class OwnerOnlyFile
{
    public static void Write(string path, string text)
    {
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllText(path, text);
            return;
        }

        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            f.Write(Encoding.UTF8.GetBytes(text));
        }

        // An existing file keeps its old mode on FileMode.Create; set it explicitly.
        File.SetUnixFileMode(path, mode);
    }

    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
