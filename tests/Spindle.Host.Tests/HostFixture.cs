using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Spindle.Core;
using Wasmtime;

namespace Spindle.Host.Tests;

/// <summary>A temp folder, a log that keeps its lines, and the .wat fixtures compiled to .wasm files.</summary>
internal sealed class HostFixture : IDisposable
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public HostFixture()
    {
        Folder = Directory.CreateTempSubdirectory("spindle-host-tests-").FullName;
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(new Provider(_lines)).SetMinimumLevel(LogLevel.Trace));
        Stores = new StoreRegistry();
        Stores.Add("default", new InMemoryStoreManager());
    }

    public string Folder { get; }

    public ILoggerFactory LoggerFactory { get; }

    public StoreRegistry Stores { get; }

    public IReadOnlyCollection<(LogLevel Level, string Category, string Message)> Lines => _lines;

    /// <summary>Compiles tests/wasm/<paramref name="name"/>.wat to a .wasm file in the temp folder.</summary>
    public string Wasm(string name)
    {
        var path = Path.Combine(Folder, name + ".wasm");
        File.WriteAllBytes(path, Module.ConvertText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "wasm", name + ".wat"))));
        return path;
    }

    public void Dispose()
    {
        Stores.Dispose();
        LoggerFactory.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    private sealed class Provider(ConcurrentQueue<(LogLevel, string, string)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(ConcurrentQueue<(LogLevel, string, string)> lines, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((logLevel, category, formatter(state, exception)));
    }
}
