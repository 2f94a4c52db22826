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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Discarding compiled module {Path} because {Reason}; recompiling and replacing it")]
    public static partial void CacheEntryUnusable(ILogger logger, Exception? exception, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write the compilation cache at {Directory}; the next start compiles again")]
    public static partial void CacheWriteFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not using the compilation cache folder {Directory} because {Reason}; compiling in memory instead")]
    public static partial void CacheFolderUnusable(ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Component {Component} imports {Import}, which Spindle does not provide; a call to it traps")]
    public static partial void ImportStubbed(ILogger logger, string component, string import);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Component {Component} tried to send a request to {Origin}, which its allowed_outbound_hosts does not allow; the guest got HTTP-request-denied. To allow it, add \"{Origin}\" to allowed_outbound_hosts of the component in spin.toml")]
    public static partial void OutboundDenied(ILogger logger, string component, string origin);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Compiled module {Name}")]
    public static partial void ModuleCompiled(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Loaded compiled module {Name} from the compilation cache ({Path})")]
    public static partial void ModuleLoadedFromCache(ILogger logger, string name, string path);
}
