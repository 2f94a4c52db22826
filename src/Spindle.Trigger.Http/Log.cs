using Microsoft.Extensions.Logging;

namespace Spindle.Trigger.Http;

/// <summary>The trigger's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Method} {Path} failed in component {Component} ({Failure}): {Reason}")]
    public static partial void GuestFailed(ILogger logger, Exception exception, string method, string path, string component, string failure, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {Method} {Path} refused: {Max} guest instances are already running")]
    public static partial void Overloaded(ILogger logger, string method, string path, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Component {Component} returned an invalid response header {Name}; answering 500")]
    public static partial void BadHeader(ILogger logger, string component, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Component {Component} returned status {Status}, outside the range it may use (100..600 for Spin 1.x handlers, 200..999 for wasi:http); answering 500")]
    public static partial void BadStatus(ILogger logger, string component, int status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Response to {Method} {Path} from component {Component} aborted mid-body: {Reason}")]
    public static partial void ResponseAborted(ILogger logger, Exception exception, string method, string path, string component, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Response to {Method} {Path} from component {Component} failed before it started: {Reason}; answering 500")]
    public static partial void ResponseNotStarted(ILogger logger, Exception exception, string method, string path, string component, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A service-chained request for {Path} names component {Component}, which has no HTTP trigger in this application; answering 404")]
    public static partial void ChainTargetUnknown(ILogger logger, string component, string path);
}
