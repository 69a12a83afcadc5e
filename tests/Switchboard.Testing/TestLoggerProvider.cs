using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Switchboard.Testing;

/// <summary>Keeps log lines in memory so tests can assert on them (for example that a failure is logged with its requestId).</summary>
public sealed class TestLoggerProvider : ILoggerProvider
{
    public static readonly ConcurrentQueue<string> Lines = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}");
            }
        }
    }
}
