// The tests start real PostgreSQL servers with the server binaries of a Linux machine (runuser, /proc).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
