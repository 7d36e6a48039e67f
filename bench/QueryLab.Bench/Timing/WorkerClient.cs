using System.Diagnostics;
using System.Text.Json;
using QueryLab.Seed;

namespace QueryLab.Bench.Timing;

/// <summary>
/// A <c>querylab worker</c> child process of some build (the base's or the head's), seen as a slice runner. Its
/// standard error (the warm-up line, errors) goes to the log; its standard output carries the protocol's answers.
/// </summary>
public sealed class WorkerClient : ISliceRunner, IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _label;
    private readonly SemaphoreSlim _one = new(1, 1);

    private WorkerClient(Process process, string label, IReadOnlyDictionary<string, double> estimates, IReadOnlyDictionary<string, double> injected)
    {
        _process = process;
        _label = label;
        Estimates = estimates;
        Injected = injected;
    }

    /// <summary>Every case the worker can run, with its warm-up's estimate of one operation (ns).</summary>
    public IReadOnlyDictionary<string, double> Estimates { get; }

    /// <summary>The delay per operation (ns) the worker injected into each case its <c>--inject-delay</c> named (empty for a worker that does not say).</summary>
    public IReadOnlyDictionary<string, double> Injected { get; }

    /// <summary>Starts <c>dotnet DLL worker ARGS</c> and waits until it is warm and has said which cases it runs.</summary>
    public static async Task<WorkerClient> StartAsync(string label, string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, TextWriter log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(log);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("worker");
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        var process = Process.Start(start) ?? throw LabException.Environment($"could not start the {label} worker ({dll})");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                log.WriteLine($"  {label}: {line}");
            }
        };
        process.BeginErrorReadLine();
        try
        {
            var ready = await process.StandardOutput.ReadLineAsync(ct)
                ?? throw LabException.Environment($"the {label} worker ended before it was ready (exit {(process.WaitForExit(2000) ? process.ExitCode : -1)}; see its lines above)");
            using var doc = JsonDocument.Parse(ready);
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                throw LabException.Environment($"the {label} worker: {error.GetString()}");
            }

            if (!root.TryGetProperty("protocol", out var protocol) || protocol.GetInt32() != SliceWorker.Protocol)
            {
                throw LabException.BadInput($"the {label} worker speaks another protocol ({ready}); interleaving needs protocol {SliceWorker.Protocol}");
            }

            var estimates = root.GetProperty("cases").EnumerateArray()
                .ToDictionary(c => c.GetProperty("key").GetString()!, c => c.GetProperty("estimateNs").GetDouble(), StringComparer.Ordinal);
            var injected = root.TryGetProperty("injected", out var inj) && inj.ValueKind == JsonValueKind.Array
                ? inj.EnumerateArray().ToDictionary(d => d.GetProperty("key").GetString()!, d => d.GetProperty("ns").GetDouble(), StringComparer.Ordinal)
                : new Dictionary<string, double>(StringComparer.Ordinal);
            return new WorkerClient(process, label, estimates, injected);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    public async Task<double> SliceAsync(string key, int start, int count, CancellationToken ct)
    {
        await _one.WaitAsync(ct);
        try
        {
            await _process.StandardInput.WriteLineAsync($"slice {key} {start} {count}".AsMemory(), ct);
            await _process.StandardInput.FlushAsync(ct);
            var line = await _process.StandardOutput.ReadLineAsync(ct)
                ?? throw LabException.Environment($"the {_label} worker ended in the middle of the run (see its lines above)");
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("ns", out var ns)
                ? ns.GetDouble()
                : throw LabException.Environment($"the {_label} worker could not run a slice: {doc.RootElement.GetProperty("error").GetString()}");
        }
        finally
        {
            _one.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(wait.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            Kill(_process);
        }
        finally
        {
            _process.Dispose();
            _one.Dispose();
        }
    }

    private static void Kill(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
