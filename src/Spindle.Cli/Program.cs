using Spindle.Cli;

return await SpindleCli.RunAsync(args, CliConsole.System()).ConfigureAwait(false);
