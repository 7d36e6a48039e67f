using System.Threading.Channels;
using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// Streams generated chunks into the four tables. Chunks are generated in parallel (at most <c>parallelism</c> at a
/// time) but handed on in chunk order through a bounded channel of tasks; a dispatcher splits each chunk into one
/// bounded channel per table, and each table's COPY drains its channel on its own connection. Memory stays bounded
/// by the channels' capacities whatever the scale; the first failure cancels everything else.
/// </summary>
internal sealed class LoadPipeline(NpgsqlDataSource dataSource, GenerationModel model, int parallelism, LoadProgress progress)
{
    /// <summary>Chunks buffered per table (a few hundred kilobytes each).</summary>
    private const int TableChannelCapacity = 32;

    public async Task<IReadOnlyList<TableLoadResult>> RunAsync(CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = cts.Token;
        var ordered = Channel.CreateBounded<Task<GeneratedChunk>>(Options(Math.Max(8, parallelism * 8)));
        var shipments = Channel.CreateBounded<RowBatch<ShipmentRow>>(Options(TableChannelCapacity));
        var events = Channel.CreateBounded<RowBatch<EventRow>>(Options(TableChannelCapacity));
        var transactions = Channel.CreateBounded<RowBatch<TransactionRow>>(Options(TableChannelCapacity));

        var loads = new[]
        {
            Guard(TableCopy.CarriersAsync(dataSource, model.Carriers.Rows, progress["carriers"], token), cts),
            Guard(TableCopy.ShipmentsAsync(dataSource, shipments.Reader, progress["shipments"], token), cts),
            Guard(TableCopy.EventsAsync(dataSource, events.Reader, progress["tracking_events"], token), cts),
            Guard(TableCopy.TransactionsAsync(dataSource, transactions.Reader, progress["transactions"], token), cts),
        };
        var produce = Guard(ProduceAsync(ordered.Writer, token), cts);
        var dispatch = Guard(DispatchAsync(ordered.Reader, shipments.Writer, events.Writer, transactions.Writer, token), cts);

        try
        {
            await Task.WhenAll([produce, dispatch, .. loads]);
        }
        catch
        {
            ct.ThrowIfCancellationRequested();
            var failures = new[] { produce, dispatch }.Concat(loads)
                .Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)
                .Where(e => e is not OperationCanceledException and not ChannelClosedException).ToList();
            if (failures.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failures[0]).Throw();
            }

            throw;
        }

        return loads.Select(t => t.Result).ToList();
    }

    private async Task ProduceAsync(ChannelWriter<Task<GeneratedChunk>> writer, CancellationToken ct)
    {
        var generator = new ChunkGenerator(model);
        var gate = new SemaphoreSlim(parallelism); // never disposed: a generation task may still release it after a failure
        try
        {
            for (var chunk = 0; chunk < model.ChunkCount; chunk++)
            {
                await gate.WaitAsync(ct);
                var index = chunk;
                var task = Task.Run(
                    () =>
                    {
                        try
                        {
                            ct.ThrowIfCancellationRequested();
                            return generator.Generate(index);
                        }
                        finally
                        {
                            gate.Release();
                        }
                    },
                    CancellationToken.None);
                await writer.WriteAsync(task, ct);
            }

            writer.Complete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
            throw;
        }
    }

    private static async Task DispatchAsync(
        ChannelReader<Task<GeneratedChunk>> chunks,
        ChannelWriter<RowBatch<ShipmentRow>> shipments,
        ChannelWriter<RowBatch<EventRow>> events,
        ChannelWriter<RowBatch<TransactionRow>> transactions,
        CancellationToken ct)
    {
        try
        {
            await foreach (var pending in chunks.ReadAllAsync(ct))
            {
                var chunk = await pending;
                await shipments.WriteAsync(chunk.Shipments, ct);
                await events.WriteAsync(chunk.Events, ct);
                await transactions.WriteAsync(chunk.Transactions, ct);
            }

            shipments.Complete();
            events.Complete();
            transactions.Complete();
        }
        catch (Exception e)
        {
            shipments.TryComplete(e);
            events.TryComplete(e);
            transactions.TryComplete(e);
            throw;
        }
    }

    private static BoundedChannelOptions Options(int capacity) =>
        new(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait };

    /// <summary>Cancels the others as soon as one part fails.</summary>
    private static async Task<T> Guard<T>(Task<T> task, CancellationTokenSource cts)
    {
        try
        {
            return await task;
        }
        catch
        {
            await cts.CancelAsync();
            throw;
        }
    }

    private static async Task Guard(Task task, CancellationTokenSource cts)
    {
        try
        {
            await task;
        }
        catch
        {
            await cts.CancelAsync();
            throw;
        }
    }
}
