using System.Globalization;
using System.Text;

namespace Spindle.Sqlite.Tests;

public sealed class ConcurrencyTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    [Fact]
    public async Task Eight_writers_and_readers_on_one_file_lose_nothing()
    {
        const int Writers = 8;
        const int KeysPerWriter = 100;
        var path = Path.Combine(_folder.Path, "kv.db");

        // Two databases on one file behave like two processes: separate pools and separate writer locks.
        using var first = SqliteDatabase.OpenFile(path);
        using var second = SqliteDatabase.OpenFile(path);
        using var stop = new CancellationTokenSource();
        var readErrors = 0;
        var reads = 0;

        var readers = Enumerable.Range(0, 4).Select(r => Task.Factory.StartNew(
            () =>
            {
                var store = (r % 2 == 0 ? first : second).Open("default");
                while (!stop.IsCancellationRequested)
                {
                    var key = $"w{r % Writers}-{Random.Shared.Next(KeysPerWriter)}";
                    var value = store.Get(key);
                    if (value is not null && Encoding.UTF8.GetString(value) != key)
                    {
                        Interlocked.Increment(ref readErrors);
                    }

                    store.ListKeys(prefix: $"w{r}-", limit: 50);
                    Interlocked.Increment(ref reads);
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();

        Parallel.For(0, Writers, new ParallelOptions { MaxDegreeOfParallelism = Writers }, w =>
        {
            var store = (w % 2 == 0 ? first : second).Open("default");
            for (var i = 0; i < KeysPerWriter; i++)
            {
                var key = $"w{w}-{i}";
                store.Set(key, Encoding.UTF8.GetBytes(key));
                store.Increment("total", 1);
            }
        });
        stop.Cancel();
        await Task.WhenAll(readers);

        using var check = SqliteDatabase.OpenFile(path);
        var all = check.Open("default");
        for (var w = 0; w < Writers; w++)
        {
            for (var i = 0; i < KeysPerWriter; i++)
            {
                var key = $"w{w}-{i}";
                Assert.Equal(key, Encoding.UTF8.GetString(all.Get(key) ?? []));
            }
        }

        Assert.Equal((Writers * KeysPerWriter).ToString(CultureInfo.InvariantCulture), Encoding.ASCII.GetString(all.Get("total")!));
        Assert.Equal(0, readErrors);
        Assert.True(reads > 0);
    }

    public void Dispose() => _folder.Dispose();
}
