using System.Text;
using Microsoft.Extensions.Logging;

namespace Spindle.Host.Tests;

public sealed class GuestOutputTests : IDisposable
{
    private const int Stdout = 1;
    private const int Stderr = 2;
    private const int DataAddress = 1024;
    private readonly HostFixture _fixture = new();
    private readonly WasmEngine _engine;
    private readonly CoreModuleGuest _component;

    public GuestOutputTests()
    {
        _engine = new WasmEngine(new HostOptions(), _fixture.LoggerFactory);
        _component = _engine.LoadCoreModule("out", _fixture.Wasm("output"), _fixture.Stores.ForComponent([]));
    }

    private List<string> GuestLines(LogLevel level) =>
        [.. _fixture.Lines.Where(l => l.Category == "Spindle.Guest" && l.Level == level).Select(l => l.Message)];

    [Fact]
    public void A_line_past_the_cap_written_in_many_small_writes_is_logged_once_truncated()
    {
        // Issue #6: the first MaxLineBytes bytes, marked, and nothing more of that line.
        var chunk = new string('x', 100);
        Run(instance =>
        {
            var times = (GuestOutput.MaxLineBytes * 3 / chunk.Length) + 1;
            Write(instance, Stdout, chunk, times);
            Write(instance, Stdout, "y\nafter\n");
        });

        Assert.Equal(
            ["[out] " + new string('x', GuestOutput.MaxLineBytes) + " [truncated]", "[out] after"],
            GuestLines(LogLevel.Information));
    }

    [Fact]
    public void A_line_exactly_at_the_cap_is_not_truncated()
    {
        // Issue #6
        Run(instance =>
        {
            Write(instance, Stderr, new string('z', GuestOutput.MaxLineBytes));
            Write(instance, Stderr, "\n");
        });

        Assert.Equal(["[out] " + new string('z', GuestOutput.MaxLineBytes)], GuestLines(LogLevel.Warning));
    }

    [Fact]
    public void A_character_split_across_writes_arrives_intact()
    {
        // Issue #6: é is 2 bytes, 😀 is 4; each is cut between fd_write calls.
        var text = Encoding.UTF8.GetBytes("café 😀 ok\n");
        Run(instance =>
        {
            var at = 0;
            foreach (var cut in new[] { 4, 8, 9, 10 }) // inside é, then three cuts inside 😀
            {
                Write(instance, Stdout, text[at..cut]);
                at = cut;
            }

            Write(instance, Stdout, text[at..]);
        });

        Assert.Equal(["[out] café 😀 ok"], GuestLines(LogLevel.Information));
    }

    [Fact]
    public void A_truncated_line_does_not_end_in_half_a_character()
    {
        // Issue #6: the cap falls inside a 3-byte character, which is dropped rather than turned into U+FFFD.
        var line = "ab" + string.Concat(Enumerable.Repeat("€", GuestOutput.MaxLineBytes / 3 + 1)) + "\n";
        Run(instance => Write(instance, Stdout, line));

        var logged = Assert.Single(GuestLines(LogLevel.Information));
        Assert.NotEqual(0, (GuestOutput.MaxLineBytes - 2) % 3); // the cap cuts a character
        var expected = "[out] ab" + string.Concat(Enumerable.Repeat("€", (GuestOutput.MaxLineBytes - 2) / 3)) + " [truncated]";
        Assert.Equal(expected, logged);
    }

    [Fact]
    public void An_unterminated_last_line_is_logged_when_the_instance_ends()
    {
        Run(instance => Write(instance, Stdout, "line one\r\nno newline"));

        Assert.Equal(["[out] line one", "[out] no newline"], GuestLines(LogLevel.Information));
    }

    [Fact]
    public void Sixty_four_mebibytes_without_a_newline_complete_as_one_truncated_line()
    {
        // Issue #6: the line buffer re-split everything buffered on every write, so this ran past the 30 s deadline.
        const int ChunkBytes = 64 * 1024;
        Run(instance =>
        {
            instance.Instance.GetMemory("memory")!.GetSpan(DataAddress, ChunkBytes).Fill((byte)'x');
            Assert.Equal(0, Call(instance, Stdout, DataAddress, ChunkBytes, 64 * 1024 * 1024 / ChunkBytes));
        });

        var logged = Assert.Single(GuestLines(LogLevel.Information));
        Assert.Equal("[out] " + new string('x', GuestOutput.MaxLineBytes) + " [truncated]", logged);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _fixture.Dispose();
    }

    private static void Write(CoreModuleGuest.LiveInstance instance, int fd, string text, int times = 1) =>
        Write(instance, fd, Encoding.UTF8.GetBytes(text), times);

    private static void Write(CoreModuleGuest.LiveInstance instance, int fd, byte[] bytes, int times = 1)
    {
        bytes.CopyTo(instance.Instance.GetMemory("memory")!.GetSpan(DataAddress, bytes.Length));
        Assert.Equal(0, Call(instance, fd, DataAddress, bytes.Length, times));
    }

    private static int Call(CoreModuleGuest.LiveInstance instance, int fd, int pointer, int length, int times) =>
        instance.Instance.GetFunction<int, int, int, int, int>("write")!(fd, pointer, length, times);

    private void Run(Action<CoreModuleGuest.LiveInstance> action) =>
        _component.Invoke(instance =>
        {
            action(instance);
            return 0;
        });
}
