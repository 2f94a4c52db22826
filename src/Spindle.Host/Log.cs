using Microsoft.Extensions.Logging;

namespace Spindle.Host;

/// <summary>The host's log messages, generated at compile time so disabled levels cost nothing.</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Key-value io error returned to component {Component}: {Reason}")]
    public static partial void KeyValueIoError(ILogger logger, Exception exception, string component, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "[{Component}] {Line}")]
    public static partial void GuestStdout(ILogger logger, string component, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[{Component}] {Line}")]
    public static partial void GuestStderr(ILogger logger, string component, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Discarding unusable compiled module {Path}; recompiling")]
    public static partial void CacheEntryUnusable(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write the compilation cache at {Directory}; the next start compiles again")]
    public static partial void CacheWriteFailed(ILogger logger, Exception exception, string directory);
}
