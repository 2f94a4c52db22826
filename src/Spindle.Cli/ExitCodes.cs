namespace Spindle.Cli;

/// <summary>Process exit codes; documented in README.md.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The key does not exist (<c>kv get</c>; <c>kv exists</c> printing false).</summary>
    public const int NotFound = 1;

    /// <summary>A usage or configuration error: the message says what to change.</summary>
    public const int UsageError = 2;

    /// <summary>The store failed or refused the operation (backend down, size limit).</summary>
    public const int StoreError = 3;

    /// <summary>A bug in Spindle: an exception nothing anticipated (EX_SOFTWARE). The message asks for a report.</summary>
    public const int InternalError = 70;

    /// <summary>Interrupted (Ctrl-C) before the command finished.</summary>
    public const int Interrupted = 130;
}
